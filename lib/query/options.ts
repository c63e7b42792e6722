import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import type { Comment, Page, PostDetail } from "@/lib/posts/types";
import { fetchJson } from "./api";
import { postKeys } from "./keys";

// queryOptions factories: one place ties a key to its fetcher and its type,
// so `useQuery`, `setQueryData` and `invalidateQueries` can never disagree.

/** How many comments a PostDetail carries (docs/api.md: "the newest 50"). */
export const POST_PAGE_COMMENTS = 50;

/** One post with its newest comments and the viewer's `likedByMe` (`GET /api/posts/{id}`). */
export function postQueryOptions(id: number) {
  return queryOptions({
    queryKey: postKeys.detail(id),
    queryFn: ({ signal }) => fetchJson<PostDetail>(`/api/posts/${id}`, { signal }),
  });
}

/** One page of a post's comments, newest first (`GET /api/posts/{id}/comments`). */
export function postCommentsQueryOptions(id: number, { page = 1, pageSize = 20 }: { page?: number; pageSize?: number } = {}) {
  return queryOptions({
    queryKey: postKeys.commentsPage(id, page, pageSize),
    queryFn: ({ signal }) => fetchJson<Page<Comment>>(commentsUrl(id, page, pageSize), { signal }),
  });
}

/**
 * The comments older than the ones a PostDetail carries, a page at a time,
 * from page 2 of pages as big as the post's own list. Pages are by offset, so
 * a comment posted meanwhile shifts them by one: the caller drops repeats by id.
 */
export function olderCommentsQueryOptions(id: number, pageSize: number = POST_PAGE_COMMENTS) {
  return infiniteQueryOptions({
    queryKey: postKeys.olderComments(id, pageSize),
    queryFn: ({ pageParam, signal }) => fetchJson<Page<Comment>>(commentsUrl(id, pageParam, pageSize), { signal }),
    initialPageParam: 2,
    getNextPageParam: (last: Page<Comment>) => (last.next ? last.page + 1 : undefined),
  });
}

function commentsUrl(id: number, page: number, pageSize: number): string {
  return `/api/posts/${id}/comments?${new URLSearchParams({ page: String(page), pageSize: String(pageSize) })}`;
}
