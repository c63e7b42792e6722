// Reading what a server-rendered page shows, for the reliability tests: the
// counts, titles and names a reader sees (app/page.tsx, app/posts/[id]/page.tsx).

/** The text of the first element with `data-testid="<id>"`, or undefined. */
function testId(html: string, id: string): string | undefined {
  return new RegExp(`data-testid="${id}"[^>]*>([^<]*)<`).exec(html)?.[1];
}

/** A number shown as "1,234 likes". */
function count(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text.replace(/[^\d]/g, ""));
}

/** What a post page shows: its title, author, likes count and comment bodies. */
export function postPage(html: string): { title: string | undefined; likes: number | undefined; text: string } {
  const title = /<h1>([^<]*)<\/h1>/.exec(html)?.[1];
  return { title: title === undefined ? undefined : decode(title), likes: count(testId(html, "likes-count")), text: html };
}

/** The card of post `id` on a list page (`/`): its title, author and counts; undefined when it is not on the page. */
export function card(html: string, id: number): { title: string; author: string; likes: number; comments: number } | undefined {
  for (const li of html.split('<li class="post-card">').slice(1)) {
    const item = li.slice(0, li.indexOf("</li>"));
    const link = new RegExp(`href="/posts/${id}">([^<]*)</a>`).exec(item);
    if (!link) continue;
    const author = /<p class="meta"><span>([^<]*)<\/span>/.exec(item)?.[1] ?? "";
    return { title: decode(link[1]!), author: decode(author), likes: count(testId(item, "likes-count")) ?? -1, comments: count(testId(item, "comments-count")) ?? -1 };
  }
  return undefined;
}

/** The nonces a page's markup carries, and the one its CSP header names. */
export function nonces(html: string, csp: string | null): { body: string[]; header: string | undefined } {
  return { body: [...html.matchAll(/nonce="([^"]+)"/g)].map((m) => m[1]!), header: /'nonce-([^']+)'/.exec(csp ?? "")?.[1] };
}

/** HTML entities React escapes in text. */
function decode(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&#x27;", "'").replaceAll("&amp;", "&");
}
