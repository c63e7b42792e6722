import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getViewer } from "@/lib/auth/session";
import { pageUnavailable, UNAVAILABLE } from "@/lib/http/unavailable";
import { signInPath } from "@/lib/query/urls";
import { PostEditor } from "../../_components/post-editor";
import { Unavailable } from "../../_components/unavailable";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "New post" };

export default async function NewPostPage() {
  const viewer = await getViewer(await headers()).catch(pageUnavailable);
  if (viewer === UNAVAILABLE) return <Unavailable />;
  if (!viewer) redirect(signInPath("/posts/new"));
  return (
    <>
      <h1 className="page-title">New post</h1>
      <PostEditor mode="create" />
    </>
  );
}
