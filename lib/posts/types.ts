// The API's DTO types (docs/api.md). Plain JSON: they are what the cache stores and
// what client components import (with `import type`).

export interface Author {
  id: string;
  name: string;
}

export interface PostSummary {
  id: number;
  title: string;
  author: Author;
  /** ISO 8601 UTC */
  dateAdded: string;
  likesCount: number;
  commentsCount: number;
}

export interface Comment {
  id: number;
  postId: number;
  body: string;
  author: Author;
  /** ISO 8601 UTC */
  dateAdded: string;
}

export interface PostDetail extends PostSummary {
  content: string;
  contentHtml: string;
  /** The newest 50, newest first. */
  comments: Comment[];
  /** `comments[0]` or null — from the same load (one load per request). */
  latestComment: Comment | null;
  likedByMe: boolean;
}

/** DRF's PageNumberPagination shape. */
export interface Page<T> {
  count: number;
  page: number;
  pageSize: number;
  totalPages: number;
  /** Relative URL of the next page, or null. */
  next: string | null;
  previous: string | null;
  results: T[];
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** How many comments a post page carries. */
export const POST_COMMENTS_LIMIT = 50;
