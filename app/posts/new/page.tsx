import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getViewer } from "@/lib/auth/session";
import { signInPath } from "@/lib/query/urls";
import { PostEditor } from "../../_components/post-editor";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "New post" };

export default async function NewPostPage() {
  if (!(await getViewer(await headers()))) redirect(signInPath("/posts/new"));
  return (
    <>
      <h1 className="page-title">New post</h1>
      <PostEditor mode="create" />
    </>
  );
}
