import Link from "next/link";

/**
 * What a page shows instead of its content when the database cannot be
 * reached (its load returned lib/http/unavailable.ts UNAVAILABLE); the server
 * sends it with status 503 and Retry-After.
 */
export function Unavailable() {
  return (
    <section className="not-found" role="alert">
      <h1>Temporarily unavailable</h1>
      <p>This page needs the database, which cannot be reached right now. Nothing was lost; try again in a few seconds.</p>
      <p>
        <Link href="/">Back to the latest posts</Link>
      </p>
    </section>
  );
}
