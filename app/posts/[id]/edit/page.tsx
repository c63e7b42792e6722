import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { getViewer } from "@/lib/auth/session";
import { isNotFound } from "@/lib/domain/errors";
import { pageUnavailable, UNAVAILABLE } from "@/lib/http/unavailable";
import { inScope } from "@/lib/scope";
import { parsePostId } from "@/lib/posts/schemas";
import { getPost } from "@/lib/posts/service";
import { postPath, signInPath } from "@/lib/query/urls";
import { PostEditor } from "../../../_components/post-editor";
import { Unavailable } from "../../../_components/unavailable";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Edit post" };

type Params = Promise<{ id: string }>;

export default async function EditPostPage({ params }: { params: Params }) {
  const id = parsePostId((await params).id);
  if (id === null) notFound();
  const viewer = await getViewer(await headers()).catch(pageUnavailable);
  if (viewer === UNAVAILABLE) return <Unavailable />;
  if (!viewer) redirect(signInPath(`${postPath(id)}/edit`));
  const post = await inScope(async () => (await getPost(id, { viewerId: viewer.id })).data).catch((error: unknown): typeof UNAVAILABLE => {
    if (isNotFound(error)) notFound();
    return pageUnavailable(error);
  });
  if (post === UNAVAILABLE) return <Unavailable />;

  // The API refuses the save anyway (403); say so before anyone types.
  if (post.author.id !== viewer.id) {
    return (
      <section className="not-found">
        <h1>You can’t edit this post</h1>
        <p>Only its author can change it.</p>
        <p>
          <Link href={postPath(id)}>Back to the post</Link>
        </p>
      </section>
    );
  }

  return (
    <>
      <h1 className="page-title">Edit post</h1>
      <PostEditor
        mode="edit"
        postId={post.id}
        initialTitle={post.title}
        initialContent={post.content}
        initialHtml={post.contentHtml}
      />
    </>
  );
}
