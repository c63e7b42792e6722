import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./render";

describe("renderMarkdown", () => {
  it("renders headings, lists, links and code", () => {
    const html = renderMarkdown("# Title\n\n- one\n- two\n\n[site](https://example.com)\n\n```ts\nconst a = 1;\n```\n");
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<li>one</li>");
    expect(html).toContain('<a href="https://example.com" rel="nofollow noopener noreferrer ugc">site</a>');
    expect(html).toContain('<code class="language-ts">const a = 1;');
  });

  it("does not let raw HTML through as markup", () => {
    const html = renderMarkdown('Hi <script>alert(1)</script> <img src="x" onerror="alert(2)"> <iframe src="https://evil"></iframe>');
    expect(html).not.toMatch(/<script|onerror|<iframe/i);
  });

  it("drops javascript: links", () => {
    const html = renderMarkdown("[click](javascript:alert(1)) <a href=\"JaVaScRiPt:alert(1)\">x</a>");
    expect(html).not.toMatch(/javascript:/i);
  });

  it("escapes text that looks like HTML inside code", () => {
    expect(renderMarkdown("`<b>bold</b>`")).toContain("<code>&lt;b&gt;bold&lt;/b&gt;</code>");
  });
});
