// Every React Query key of the app, built here and nowhere else. They nest so
// that one prefix invalidates everything under it: `postKeys.detail(7)` also
// covers the comment pages of post 7.

export const postKeys = {
  all: ["posts"] as const,
  lists: () => [...postKeys.all, "list"] as const,
  details: () => [...postKeys.all, "detail"] as const,
  detail: (id: number) => [...postKeys.details(), id] as const,
  comments: (id: number) => [...postKeys.detail(id), "comments"] as const,
  commentsPage: (id: number, page: number, pageSize: number) =>
    [...postKeys.comments(id), { page, pageSize }] as const,
  /** Older comments, page by page (the post's first page comes with the post). */
  olderComments: (id: number, pageSize: number) => [...postKeys.comments(id), "older", { pageSize }] as const,
};

/** Mutation keys: they name a post so `isMutating` can tell whether another write to it is in flight. */
export const mutationKeys = {
  like: (postId: number) => ["posts", postId, "like"] as const,
  createComment: (postId: number) => ["posts", postId, "comments", "create"] as const,
  createPost: () => ["posts", "create"] as const,
  updatePost: (postId: number) => ["posts", postId, "update"] as const,
  deletePost: (postId: number) => ["posts", postId, "delete"] as const,
};
