import Link from "next/link";

export default function NotFound() {
  return (
    <section className="not-found">
      <h1>Page not found</h1>
      <p>There is no post or page at this address. It may have been deleted.</p>
      <p>
        <Link href="/">Back to the latest posts</Link>
      </p>
    </section>
  );
}
