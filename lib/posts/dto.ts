import { renderMarkdown } from "@/lib/markdown/render";
import type { CommentRow, PostContentRow, PostRow } from "./queries";
import type { Comment, Page, PostDetail, PostSummary } from "./types";

// Serializers: database rows in, plain JSON DTOs out. Field order is fixed
// here so every cache mode produces byte-identical bodies.

export function toPostSummary(row: PostRow, likesCount: number): PostSummary {
  return {
    id: row.id,
    title: row.title,
    author: { id: row.authorId, name: row.authorName },
    dateAdded: row.dateAdded.toISOString(),
    likesCount,
    commentsCount: row.commentsCount,
  };
}

export function toComment(row: CommentRow): Comment {
  return {
    id: row.id,
    postId: row.postId,
    body: row.body,
    author: { id: row.authorId, name: row.authorName },
    dateAdded: row.dateAdded.toISOString(),
  };
}

export function toPostDetail(
  row: PostContentRow,
  likesCount: number,
  comments: Comment[],
  likedByMe: boolean,
): PostDetail {
  return {
    ...toPostSummary(row, likesCount),
    content: row.content,
    contentHtml: renderMarkdown(row.content),
    comments,
    latestComment: comments[0] ?? null,
    likedByMe,
  };
}

/** Builds DRF-style pagination around `results`; `basePath` is e.g. `/api/posts`. */
export function toPage<T>(
  results: T[],
  opts: { count: number; page: number; pageSize: number; basePath: string },
): Page<T> {
  const totalPages = Math.max(1, Math.ceil(opts.count / opts.pageSize));
  const link = (page: number) => `${opts.basePath}?page=${page}&pageSize=${opts.pageSize}`;
  return {
    count: opts.count,
    page: opts.page,
    pageSize: opts.pageSize,
    totalPages,
    next: opts.page < totalPages ? link(opts.page + 1) : null,
    previous: opts.page > 1 ? link(opts.page - 1) : null,
    results,
  };
}
