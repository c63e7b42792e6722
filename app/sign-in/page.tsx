import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthForm } from "@/app/_components/auth-form";
import { safeNextPath, withNextParam } from "@/lib/auth/safe-next-path";
import { getViewer } from "@/lib/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function SignInPage({ searchParams }: { searchParams: SearchParams }) {
  const next = safeNextPath((await searchParams).next);
  // Already signed in: nothing to do here, go where the reader was headed.
  if (await getViewer(await headers())) redirect(next);

  return (
    <section className="auth-page">
      <h1 id="sign-in-title" className="page-title">
        Sign in
      </h1>
      <AuthForm mode="sign-in" next={next} labelledBy="sign-in-title" />
      <p className="auth-switch">
        New here? <Link href={withNextParam("/sign-up", next)}>Create an account</Link>
      </p>
    </section>
  );
}
