import { matchQuery, type QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { Comment, Page, PostDetail } from "@/lib/posts/types";
import { mutationKeys, postKeys } from "./keys";
import { withComment } from "./mutations";
import { olderCommentsQueryOptions, postCommentsQueryOptions, postQueryOptions } from "./options";

describe("postKeys", () => {
  it("nests, so one prefix invalidates everything under it", () => {
    expect(postKeys.detail(7)).toEqual(["posts", "detail", 7]);
    expect(postKeys.commentsPage(7, 2, 20)).toEqual(["posts", "detail", 7, "comments", { page: 2, pageSize: 20 }]);
    const covers = (filter: readonly unknown[], key: readonly unknown[]) =>
      matchQuery({ queryKey: filter }, { queryKey: key, queryHash: JSON.stringify(key) } as never);
    expect(covers(postKeys.detail(7), postKeys.commentsPage(7, 2, 20))).toBe(true);
    expect(covers(postKeys.detail(7), postKeys.olderComments(7, 50))).toBe(true);
    expect(covers(postKeys.detail(7), postKeys.detail(70))).toBe(false);
    expect(covers(postKeys.all, postKeys.lists())).toBe(true);
  });

  it("is what the queryOptions factories use", () => {
    expect(postQueryOptions(3).queryKey).toEqual(postKeys.detail(3));
    expect(postCommentsQueryOptions(3).queryKey).toEqual(postKeys.commentsPage(3, 1, 20));
    expect(postCommentsQueryOptions(3, { page: 4, pageSize: 10 }).queryKey).toEqual(postKeys.commentsPage(3, 4, 10));
    expect(olderCommentsQueryOptions(3).queryKey).toEqual(postKeys.olderComments(3, 50));
  });

  it("names the post in every per-post mutation key", () => {
    expect(mutationKeys.like(5)).toEqual(["posts", 5, "like"]);
    expect(mutationKeys.createComment(5)).toContain(5);
    expect(mutationKeys.deletePost(5)).toContain(5);
  });
});

describe("olderCommentsQueryOptions", () => {
  it("starts after the page a post carries and stops at the last page", () => {
    const options = olderCommentsQueryOptions(3);
    expect(options.initialPageParam).toBe(2);
    const page = (n: number, next: string | null): Page<Comment> => ({
      count: 0,
      page: n,
      pageSize: 50,
      totalPages: 3,
      next,
      previous: null,
      results: [],
    });
    expect(options.getNextPageParam(page(2, "/api/posts/3/comments?page=3"), [], 2, [])).toBe(3);
    expect(options.getNextPageParam(page(3, null), [], 3, [])).toBeUndefined();
  });
});

describe("withComment", () => {
  const author = { id: "u1", name: "Ada" };
  const comment = (id: number): Comment => ({ id, postId: 1, body: `c${id}`, author, dateAdded: "2026-11-27T10:00:00.000Z" });
  const post = (comments: Comment[], commentsCount: number): PostDetail => ({
    id: 1,
    title: "t",
    author,
    dateAdded: "2026-11-27T10:00:00.000Z",
    likesCount: 0,
    commentsCount,
    content: "c",
    contentHtml: "<p>c</p>",
    comments,
    latestComment: comments[0] ?? null,
    likedByMe: false,
  });

  it("puts the comment on top and counts it", () => {
    const next = withComment(post([comment(2), comment(1)], 2), comment(3));
    expect(next.comments.map((c) => c.id)).toEqual([3, 2, 1]);
    expect(next.latestComment?.id).toBe(3);
    expect(next.commentsCount).toBe(3);
  });

  it("does not list or count a comment twice (a refetch already brought it)", () => {
    const next = withComment(post([comment(3), comment(2)], 2), comment(3));
    expect(next.comments.map((c) => c.id)).toEqual([3, 2]);
    expect(next.commentsCount).toBe(2);
  });

  it("keeps the newest 50", () => {
    const fifty = Array.from({ length: 50 }, (_, i) => comment(50 - i));
    const next = withComment(post(fifty, 80), comment(51));
    expect(next.comments).toHaveLength(50);
    expect(next.comments[0]?.id).toBe(51);
    expect(next.comments.at(-1)?.id).toBe(2);
    expect(next.commentsCount).toBe(81);
  });
});

describe("makeQueryClient", () => {
  it("keeps hydrated data fresh for a while and does not retry 4xx", async () => {
    const { makeQueryClient } = await import("./client");
    const client: QueryClient = makeQueryClient();
    const defaults = client.getDefaultOptions();
    expect(defaults.queries?.staleTime).toBe(30_000);
    const retry = defaults.queries?.retry as (n: number, e: unknown) => boolean;
    const { ApiError } = await import("./api");
    expect(retry(0, new ApiError(404, "not_found", "x"))).toBe(false);
    expect(retry(0, new ApiError(503, "internal", "x"))).toBe(true);
    expect(retry(2, new ApiError(503, "internal", "x"))).toBe(false);
  });
});
