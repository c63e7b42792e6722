"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

/**
 * "Sign in" / "Sign up" for an anonymous reader, bringing them back to the
 * page they were on. A client component because the root layout, which holds
 * the nav, is not told the current path and does not re-render on navigation.
 */
export function SignInLinks() {
  const pathname = usePathname();
  const onAuthPage = pathname === "/sign-in" || pathname === "/sign-up";
  const query = pathname && pathname !== "/" && !onAuthPage ? `?next=${encodeURIComponent(pathname)}` : "";
  return (
    <>
      <Link href={`/sign-in${query}`} className="nav-link">
        Sign in
      </Link>
      <Link href={`/sign-up${query}`} className="nav-link nav-link-primary">
        Sign up
      </Link>
    </>
  );
}
