import { z } from "zod";
import { notFound } from "@/lib/domain/errors";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./types";

// Query strings arrive as strings; only plain decimal integers are accepted
// ("1e3", "0x10", " 2", "2.0" are not page numbers).
const intString = (field: string) =>
  z.string().regex(/^\d{1,9}$/, `${field} must be a whole number`).transform(Number);

export const pageQuerySchema = z.object({
  page: intString("page").pipe(z.number().min(1, "page must be at least 1")).default(1),
  pageSize: intString("pageSize")
    .pipe(z.number().min(1, "pageSize must be at least 1").max(MAX_PAGE_SIZE, `pageSize must be at most ${MAX_PAGE_SIZE}`))
    .default(DEFAULT_PAGE_SIZE),
});

export type PageQuery = z.infer<typeof pageQuerySchema>;

/** The `{id}` of a route's params as a post id; not_found when it is not one. */
export async function postIdParam(params: Promise<{ id: string }>): Promise<number> {
  const id = parsePostId((await params).id);
  if (id === null) throw notFound("Post not found");
  return id;
}

/** A post id from a path: a positive integer in int4 range, or null (→ 404, not 400). */
export function parsePostId(raw: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(raw)) return null;
  const id = Number(raw);
  return id <= 2_147_483_647 ? id : null;
}

/** PostgreSQL text cannot hold NUL: refuse it as bad input instead of failing the insert. */
export const noNul = (field: string) => [(v: string) => !v.includes("\u0000"), `${field} must not contain NUL characters`] as const;

const title = z
  .string()
  .trim()
  .min(1, "title must not be empty")
  .max(200, "title must be at most 200 characters")
  .refine(...noNul("title"));
const content = z
  .string()
  .trim()
  .min(1, "content must not be empty")
  .max(100_000, "content must be at most 100,000 characters")
  .refine(...noNul("content"));

export const createPostSchema = z.strictObject({ title, content });
export const updatePostSchema = z
  .strictObject({ title: title.optional(), content: content.optional() })
  .refine((v) => v.title !== undefined || v.content !== undefined, "give a title, a content, or both");

export type CreatePostInput = z.infer<typeof createPostSchema>;
export type UpdatePostInput = z.infer<typeof updatePostSchema>;
