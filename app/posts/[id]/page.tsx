import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { cache } from "react";
import { getViewer, type Viewer } from "@/lib/auth/session";
import { isNotFound } from "@/lib/domain/errors";
import { pageUnavailable, UNAVAILABLE } from "@/lib/http/unavailable";
import { inScope } from "@/lib/scope";
import { parsePostId } from "@/lib/posts/schemas";
import { getPost } from "@/lib/posts/service";
import { getQueryClient } from "@/lib/query/client";
import { dehydrateWithoutTime } from "@/lib/query/hydration";
import { postQueryOptions } from "@/lib/query/options";
import { Comments } from "../../_components/comments";
import { FreshHydrationBoundary } from "../../_components/fresh-hydration-boundary";
import { formatDate } from "../../_components/format";
import { LikeButton } from "../../_components/like-button";
import { PostActions } from "../../_components/post-actions";
import { Unavailable } from "../../_components/unavailable";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;

// React's cache(): generateMetadata and the page share one load per request.
const loadPost = cache(async (rawId: string) => {
  const id = parsePostId(rawId);
  if (id === null) notFound();
  const viewer = await readViewer();
  const post = await inScope(async () => (await getPost(id, { viewerId: viewer?.id })).data).catch((error: unknown): typeof UNAVAILABLE => {
    if (isNotFound(error)) notFound();
    return pageUnavailable(error);
  });
  return post === UNAVAILABLE ? UNAVAILABLE : { post, viewer };
});

// Reading must not depend on the session store: if it cannot be read, the
// page is shown as to an anonymous reader (as the nav does).
async function readViewer(): Promise<Viewer | null> {
  const requestHeaders = await headers();
  try {
    return await getViewer(requestHeaders);
  } catch (error) {
    console.error("[post-page] could not read the session", error);
    return null;
  }
}

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const loaded = await loadPost((await params).id);
  return { title: loaded === UNAVAILABLE ? "Temporarily unavailable" : loaded.post.title };
}

export default async function PostPage({ params }: { params: Params }) {
  const loaded = await loadPost((await params).id);
  if (loaded === UNAVAILABLE) return <Unavailable />;
  const { post, viewer } = loaded;
  // The client components read the post through React Query; hand them this
  // render's copy so they start from it (no loading state, no refetch), and so
  // a router.refresh() after a write brings them the fresh one. Without the
  // render's time in it: a page stored whole is the same bytes as one rendered now.
  const queryClient = getQueryClient();
  queryClient.setQueryData(postQueryOptions(post.id).queryKey, post);
  const isAuthor = viewer !== null && viewer.id === post.author.id;

  return (
    <FreshHydrationBoundary state={dehydrateWithoutTime(queryClient)}>
      <article className="post">
        <header>
          <h1>{post.title}</h1>
          <p className="meta">
            <span>{post.author.name}</span> · <time dateTime={post.dateAdded}>{formatDate(post.dateAdded)}</time>
          </p>
          <div className="post-toolbar">
            <LikeButton
              postId={post.id}
              initialLiked={post.likedByMe}
              initialCount={post.likesCount}
              signedIn={viewer !== null}
            />
            {isAuthor ? <PostActions postId={post.id} title={post.title} /> : null}
          </div>
        </header>
        {/* contentHtml is sanitized when rendered (lib/markdown/render.ts). */}
        <div className="prose" dangerouslySetInnerHTML={{ __html: post.contentHtml }} />
        <Comments
          postId={post.id}
          initialComments={post.comments}
          initialCount={post.commentsCount}
          viewer={viewer ? { id: viewer.id, name: viewer.name } : null}
        />
      </article>
    </FreshHydrationBoundary>
  );
}
