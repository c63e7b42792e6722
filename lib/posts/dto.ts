import { renderMarkdown } from "@/lib/markdown/render";
import type { CommentRow, PostRow } from "./queries";
import type { Author, Comment, Page, PostDetail, PostSummary } from "./types";

// Serializers: database rows in, plain JSON DTOs out. Every mode builds its
// bodies with these functions, in this field order, so a response is
// byte-identical whichever way its parts were read.

/** The cached piece of a post that changes only when the post is edited. */
export interface PostBase {
  id: number;
  title: string;
  author: Author;
  dateAdded: string;
}

/** The cached piece with the Markdown and its rendering (the CPU the cache saves). */
export interface PostContent {
  content: string;
  contentHtml: string;
}

export function toPostBase(row: Omit<PostRow, "commentsCount">): PostBase {
  return {
    id: row.id,
    title: row.title,
    author: { id: row.authorId, name: row.authorName },
    dateAdded: row.dateAdded.toISOString(),
  };
}

export function toPostContent(content: string): PostContent {
  return { content, contentHtml: renderMarkdown(content) };
}

export function toPostSummary(base: PostBase, likesCount: number, commentsCount: number): PostSummary {
  return {
    id: base.id,
    title: base.title,
    author: base.author,
    dateAdded: base.dateAdded,
    likesCount,
    commentsCount,
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
  base: PostBase,
  content: PostContent,
  counts: { likesCount: number; commentsCount: number },
  comments: Comment[],
  likedByMe: boolean,
): PostDetail {
  return {
    ...toPostSummary(base, counts.likesCount, counts.commentsCount),
    content: content.content,
    contentHtml: content.contentHtml,
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

