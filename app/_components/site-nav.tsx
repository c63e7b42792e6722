import { headers } from "next/headers";
import Link from "next/link";
import { getViewer, type Viewer } from "@/lib/auth/session";
import { SignInLinks } from "./sign-in-links";
import { SignOutButton } from "./sign-out-button";

/**
 * The site header's contents: the brand, then who is reading. Rendered on the
 * server from the session cookie (no client round trip, no flash of "Sign in"
 * for a signed-in reader). Anonymous requests carry no session cookie, so they
 * cost no query; a signed-in one costs none while the 60 s cookie cache is fresh.
 */
export async function SiteNav() {
  const viewer = await readViewer();
  return (
    <>
      <Link href="/" className="brand">
        Cached Blog
      </Link>
      <div className="nav-links">
        {viewer ? (
          <>
            <span className="nav-user" title={viewer.name}>
              {viewer.name}
            </span>
            <Link href="/posts/new" className="nav-link">
              New post
            </Link>
            <SignOutButton />
          </>
        ) : (
          <SignInLinks />
        )}
      </div>
    </>
  );
}

// The nav is on every page, including ones served entirely from the cache:
// if the session lookup fails (database down), show the reader as anonymous
// rather than failing the page around it. (`headers()` stays outside the try:
// during prerendering it throws on purpose, and Next must see that.)
async function readViewer(): Promise<Viewer | null> {
  const requestHeaders = await headers();
  try {
    return await getViewer(requestHeaders);
  } catch (error) {
    console.error("[site-nav] could not read the session", error);
    return null;
  }
}
