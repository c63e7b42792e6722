import { Marked } from "marked";
import sanitizeHtml from "sanitize-html";

// One parser instance, configured once: GitHub-flavoured Markdown, no
// mangling of the input. Raw HTML in Markdown passes through marked and is
// then reduced by the sanitizer to the allow-list below, so `<script>`,
// event handlers and `javascript:` URLs never survive as markup.
const marked = new Marked({ gfm: true, breaks: false, async: false });

const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags: [
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code",
    "ul", "ol", "li", "strong", "em", "del", "a", "img", "table", "thead", "tbody",
    "tr", "th", "td", "span",
  ],
  allowedAttributes: {
    // rel is always overwritten by the transform below.
    a: ["href", "title", "rel"],
    img: ["src", "alt", "title"],
    code: ["class"],
    th: ["align"],
    td: ["align"],
    ol: ["start"],
  },
  allowedClasses: { code: [/^language-[\w-]+$/] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesAppliedToAttributes: ["href", "src"],
  allowProtocolRelative: false,
  // Links written by users: never let them act on the opener, and mark them
  // as user content for search engines.
  transformTags: {
    a: sanitizeHtml.simpleTransform("a", { rel: "nofollow noopener noreferrer ugc" }),
  },
};

/** Renders Markdown to sanitized HTML (no script, no event handlers, no javascript: links). */
export function renderMarkdown(markdown: string): string {
  const html = marked.parse(markdown) as string;
  return sanitizeHtml(html, sanitizeOptions);
}
