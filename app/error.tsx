"use client";

import Link from "next/link";

/**
 * What a page shows when it failed in a way it did not handle (a 500; a 503
 * when the database was unreachable, see lib/http/unavailable.ts
 * `degradePageStatus`). Pages handle an unreachable database themselves, with
 * a server-rendered message (_components/unavailable.tsx).
 */
export default function PageError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="not-found" role="alert">
      <h1>Something went wrong</h1>
      <p>This page could not be shown. Try again in a moment.</p>
      <p>
        <button type="button" onClick={() => reset()}>
          Try again
        </button>{" "}
        <Link href="/">Back to the latest posts</Link>
      </p>
    </section>
  );
}
