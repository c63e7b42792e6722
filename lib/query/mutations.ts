import { useMutation, useMutationState, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import type { Comment, PostDetail } from "@/lib/posts/types";
import { fetchJson } from "./api";
import { mutationKeys, postKeys } from "./keys";
import { POST_PAGE_COMMENTS, postQueryOptions } from "./options";

// The writes of docs/api.md as React Query mutations. After every write the
// post's queries are invalidated and the server-rendered parts refreshed
// (router.refresh): counts on `/`, the post page's own HTML.

/** `PUT`/`DELETE /api/posts/{id}/like`. */
export interface LikeResult {
  liked: boolean;
  likesCount: number;
}

export interface PostInput {
  title: string;
  content: string;
}

type Router = ReturnType<typeof useRouter>;

/** Marks what a write to `postId` changed as stale and re-renders the server parts of the page. */
function afterWrite(queryClient: QueryClient, router: Router, postId?: number): void {
  if (postId !== undefined) void queryClient.invalidateQueries({ queryKey: postKeys.detail(postId) });
  void queryClient.invalidateQueries({ queryKey: postKeys.lists() });
  router.refresh();
}

/**
 * Like (`true`) or unlike (`false`), optimistically: `likedByMe` and the count
 * change in the cache at once and roll back if the request fails.
 *
 * Rapid clicks: requests for one post run one at a time, in click order
 * (a mutation scope), so the server ends in the state of the last click; the
 * API is idempotent, so a double click never counts twice. Only the last
 * request in flight writes the server's answer, rolls back, or refreshes —
 * an earlier answer would undo the optimistic state of a later click.
 */
export function useLikeMutation(postId: number) {
  const queryClient = useQueryClient();
  const router = useRouter();
  // The options' key carries the PostDetail type for getQueryData/setQueryData.
  const key = postQueryOptions(postId).queryKey;
  const mutationKey = mutationKeys.like(postId);
  const isLast = () => queryClient.isMutating({ mutationKey }) <= 1;

  return useMutation({
    mutationKey,
    scope: { id: `like:${postId}` },
    mutationFn: (liked: boolean) =>
      fetchJson<LikeResult>(`/api/posts/${postId}/like`, { method: liked ? "PUT" : "DELETE" }),
    onMutate: async (liked) => {
      // A refetch that started before the click must not overwrite it.
      await queryClient.cancelQueries({ queryKey: key, exact: true });
      const previous = queryClient.getQueryData(key);
      if (previous && previous.likedByMe !== liked) {
        queryClient.setQueryData(key, {
          ...previous,
          likedByMe: liked,
          likesCount: Math.max(0, previous.likesCount + (liked ? 1 : -1)),
        });
      }
      return { previous };
    },
    onSuccess: (result) => {
      if (!isLast()) return;
      queryClient.setQueryData(key, (post) =>
        post ? { ...post, likedByMe: result.liked, likesCount: result.likesCount } : post,
      );
    },
    onError: (_error, _liked, context) => {
      if (isLast() && context?.previous) queryClient.setQueryData(key, context.previous);
    },
    onSettled: () => {
      if (isLast()) afterWrite(queryClient, router, postId);
    },
  });
}

/**
 * Posts a comment. The pending comment is shown from the mutation's variables
 * (`usePendingComments`), not written into the cache, so a failure needs no
 * rollback; on success the server's Comment goes on top of the cached list.
 */
export function useCreateCommentMutation(postId: number) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const key = postQueryOptions(postId).queryKey;

  return useMutation({
    mutationKey: mutationKeys.createComment(postId),
    mutationFn: (body: string) =>
      fetchJson<Comment>(`/api/posts/${postId}/comments`, { method: "POST", body: { body } }),
    onSuccess: async (comment) => {
      await queryClient.cancelQueries({ queryKey: key, exact: true });
      queryClient.setQueryData(key, (post) => (post ? withComment(post, comment) : post));
    },
    onSettled: () => afterWrite(queryClient, router, postId),
  });
}

/** A comment on its way to the server, shown at the top of the list until it is saved. */
export interface PendingComment {
  /** The mutation's id: a stable React key that no saved comment has. */
  key: number;
  body: string;
  submittedAt: number;
}

/** The comments being posted to `postId` right now, newest first. */
export function usePendingComments(postId: number): PendingComment[] {
  return useMutationState({
    filters: { mutationKey: mutationKeys.createComment(postId), status: "pending" },
    select: (mutation) => ({
      key: mutation.mutationId,
      body: String(mutation.state.variables ?? ""),
      submittedAt: mutation.state.submittedAt,
    }),
  }).reverse();
}

/**
 * `post` with `comment` on top. Idempotent: a refetch that already brought the
 * comment neither lists it twice nor counts it twice.
 */
export function withComment(post: PostDetail, comment: Comment): PostDetail {
  const known = post.comments.some((c) => c.id === comment.id);
  const comments = [comment, ...post.comments.filter((c) => c.id !== comment.id)].slice(0, POST_PAGE_COMMENTS);
  return {
    ...post,
    comments,
    latestComment: comments[0] ?? null,
    commentsCount: known ? post.commentsCount : post.commentsCount + 1,
  };
}

/** Creates a post, then shows it. */
export function useCreatePostMutation() {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationKey: mutationKeys.createPost(),
    mutationFn: (input: PostInput) => fetchJson<PostDetail>("/api/posts", { method: "POST", body: input }),
    onSuccess: (post) => {
      queryClient.setQueryData(postKeys.detail(post.id), post);
      void queryClient.invalidateQueries({ queryKey: postKeys.lists() });
      router.push(`/posts/${post.id}`);
      router.refresh();
    },
  });
}

/** Edits a post (only the fields given), then shows it. */
export function useUpdatePostMutation(postId: number) {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationKey: mutationKeys.updatePost(postId),
    mutationFn: (input: Partial<PostInput>) =>
      fetchJson<PostDetail>(`/api/posts/${postId}`, { method: "PATCH", body: input }),
    onSuccess: () => {
      // Invalidate rather than store the answer: the post page renders it on
      // the server right away, and hydrates the cache with it.
      void queryClient.invalidateQueries({ queryKey: postKeys.detail(postId) });
      void queryClient.invalidateQueries({ queryKey: postKeys.lists() });
      router.push(`/posts/${postId}`);
      router.refresh();
    },
  });
}

/** Deletes a post, then goes to the home page. */
export function useDeletePostMutation(postId: number) {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationKey: mutationKeys.deletePost(postId),
    mutationFn: () => fetchJson<void>(`/api/posts/${postId}`, { method: "DELETE" }),
    onSuccess: async () => {
      // Stop any refetch of the post (it would 404). Its cache entry is left to
      // be collected once the page unmounts: removing it while the page is
      // still mounted would make its observers fetch it again.
      await queryClient.cancelQueries({ queryKey: postKeys.detail(postId) });
      void queryClient.invalidateQueries({ queryKey: postKeys.lists() });
      router.push("/");
      router.refresh();
    },
  });
}
