import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { AppError } from "@/lib/http/errors";
import { inScope } from "@/lib/scope";
import { parsePostId } from "@/lib/posts/schemas";
import { getPost } from "@/lib/posts/service";
import { formatDate, plural } from "../../_components/format";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;

// React's cache(): generateMetadata and the page share one load per request.
const loadPost = cache(async (rawId: string) => {
  const id = parsePostId(rawId);
  if (id === null) notFound();
  return inScope(async () => (await getPost(id)).data).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  });
});

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const post = await loadPost((await params).id);
  return { title: post.title };
}

export default async function PostPage({ params }: { params: Params }) {
  const post = await loadPost((await params).id);
  return (
    <article className="post">
      <header>
        <h1>{post.title}</h1>
        <p className="meta">
          <span>{post.author.name}</span> · <time dateTime={post.dateAdded}>{formatDate(post.dateAdded)}</time>
        </p>
        <p className="counts">
          <span data-testid="likes-count">{plural(post.likesCount, "like")}</span>
        </p>
      </header>
      {/* contentHtml is sanitized when rendered (lib/markdown/render.ts). */}
      <div className="prose" dangerouslySetInnerHTML={{ __html: post.contentHtml }} />
      <section aria-labelledby="comments-heading" className="comments">
        <h2 id="comments-heading">{plural(post.commentsCount, "comment")}</h2>
        {post.comments.length === 0 ? (
          <p>No comments yet.</p>
        ) : (
          <ol className="comment-list">
            {post.comments.map((c) => (
              <li key={c.id} className="comment">
                <p className="meta">
                  <strong>{c.author.name}</strong> · <time dateTime={c.dateAdded}>{formatDate(c.dateAdded)}</time>
                </p>
                <p className="comment-body">{c.body}</p>
              </li>
            ))}
          </ol>
        )}
      </section>
    </article>
  );
}
