import { renderMarkdown } from "@/lib/markdown/render";
import type { CommentRow } from "./queries";
import type { Comment, Page, PostDetail, PostSummary } from "./types";

// Serializers: database rows in, plain JSON DTOs out. Every mode builds its
// bodies with these functions, in this field order, so a response is
// byte-identical whichever way its parts were read.

/**
 * The cached piece of a post that changes only when the post is edited: its
 * own fields, with its author's id but not the name (names are cached per
 * user, so a rename touches one entry: lib/posts/cache-keys.ts).
 */
export interface PostRef {
  id: number;
  title: string;
  authorId: string;
  dateAdded: string;
}

/** A comment as cached: its author's id, not the name. */
export interface CommentRef {
  id: number;
  postId: number;
  body: string;
  authorId: string;
  dateAdded: string;
}

/** The cached piece with the Markdown and its rendering (the CPU the cache saves). */
export interface PostContent {
  content: string;
  contentHtml: string;
}

export function toPostRef(row: { id: number; title: string; authorId: string; dateAdded: Date }): PostRef {
  return { id: row.id, title: row.title, authorId: row.authorId, dateAdded: row.dateAdded.toISOString() };
}

export function toPostContent(content: string): PostContent {
  return { content, contentHtml: renderMarkdown(content) };
}

export function toPostSummary(base: PostRef, authorName: string, likesCount: number, commentsCount: number): PostSummary {
  return {
    id: base.id,
    title: base.title,
    author: { id: base.authorId, name: authorName },
    dateAdded: base.dateAdded,
    likesCount,
    commentsCount,
  };
}

/** A comment row as the API shows it (`dateAdded` a Date from the driver, or already ISO from JSON). */
export function toComment(row: Omit<CommentRow, "dateAdded"> & { dateAdded: Date | string }): Comment {
  return toCommentFrom(toCommentRef(row), row.authorName);
}

export function toCommentRef(row: { id: number; postId: number; body: string; authorId: string; dateAdded: Date | string }): CommentRef {
  const dateAdded = typeof row.dateAdded === "string" ? row.dateAdded : row.dateAdded.toISOString();
  return { id: row.id, postId: row.postId, body: row.body, authorId: row.authorId, dateAdded };
}

export function toCommentFrom(ref: CommentRef, authorName: string): Comment {
  return {
    id: ref.id,
    postId: ref.postId,
    body: ref.body,
    author: { id: ref.authorId, name: authorName },
    dateAdded: ref.dateAdded,
  };
}

export function toPostDetail(
  base: PostRef,
  authorName: string,
  content: PostContent,
  counts: { likesCount: number; commentsCount: number },
  comments: Comment[],
  likedByMe: boolean,
): PostDetail {
  return {
    ...toPostSummary(base, authorName, counts.likesCount, counts.commentsCount),
    content: content.content,
    contentHtml: content.contentHtml,
    comments,
    // A copy, not the same object: a server component renders this DTO into an
    // RSC payload, which would write a shared object once and refer to it
    // after — the bytes would then depend on where the DTO came from.
    latestComment: comments[0] ? { ...comments[0], author: { ...comments[0].author } } : null,
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

