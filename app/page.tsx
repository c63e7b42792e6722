import Link from "next/link";
import { notFound } from "next/navigation";
import { isNotFound } from "@/lib/domain/errors";
import { pageUnavailable, UNAVAILABLE } from "@/lib/http/unavailable";
import { inScope } from "@/lib/scope";
import { pageQuerySchema } from "@/lib/posts/schemas";
import { getPostPage } from "@/lib/posts/service";
import { formatDate, plural } from "./_components/format";
import { Unavailable } from "./_components/unavailable";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function HomePage({ searchParams }: { searchParams: SearchParams }) {
  const raw = (await searchParams).page;
  const parsed = pageQuerySchema.safeParse({ page: typeof raw === "string" ? raw : undefined });
  if (!parsed.success) notFound();
  const loaded = await inScope(() => getPostPage(parsed.data, { basePath: "/" })).catch((error: unknown): typeof UNAVAILABLE => {
    if (isNotFound(error)) notFound();
    return pageUnavailable(error);
  });
  if (loaded === UNAVAILABLE) return <Unavailable />;
  const { data } = loaded;

  return (
    <>
      <h1 className="page-title">Latest posts</h1>
      {data.results.length === 0 ? (
        <p>No posts yet.</p>
      ) : (
        <ol className="post-list" aria-label="Posts">
          {data.results.map((post) => (
            <li key={post.id} className="post-card">
              <h2>
                <Link href={`/posts/${post.id}`}>{post.title}</Link>
              </h2>
              <p className="meta">
                <span>{post.author.name}</span> · <time dateTime={post.dateAdded}>{formatDate(post.dateAdded)}</time>
              </p>
              <p className="counts">
                <span data-testid="likes-count">{plural(post.likesCount, "like")}</span> ·{" "}
                <span data-testid="comments-count">{plural(post.commentsCount, "comment")}</span>
              </p>
            </li>
          ))}
        </ol>
      )}
      <nav aria-label="Pagination" className="pagination">
        {data.page > 1 ? (
          <Link rel="prev" href={data.page === 2 ? "/" : `/?page=${data.page - 1}`}>
            ← Newer
          </Link>
        ) : (
          <span />
        )}
        <span>
          Page {data.page} of {data.totalPages}
        </span>
        {data.page < data.totalPages ? (
          <Link rel="next" href={`/?page=${data.page + 1}`}>
            Older →
          </Link>
        ) : (
          <span />
        )}
      </nav>
    </>
  );
}
