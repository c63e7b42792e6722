import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthForm } from "@/app/_components/auth-form";
import { safeNextPath, withNextParam } from "@/lib/auth/safe-next-path";
import { getViewer } from "@/lib/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Create an account" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function SignUpPage({ searchParams }: { searchParams: SearchParams }) {
  const next = safeNextPath((await searchParams).next);
  if (await getViewer(await headers())) redirect(next);

  return (
    <section className="auth-page">
      <h1 id="sign-up-title" className="page-title">
        Create an account
      </h1>
      <AuthForm mode="sign-up" next={next} labelledBy="sign-up-title" />
      <p className="auth-switch">
        Already have an account? <Link href={withNextParam("/sign-in", next)}>Sign in instead</Link>
      </p>
    </section>
  );
}
