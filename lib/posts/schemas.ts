import { z } from "zod";
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

/** A post id from a path: a positive integer in int4 range, or null (→ 404, not 400). */
export function parsePostId(raw: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(raw)) return null;
  const id = Number(raw);
  return id <= 2_147_483_647 ? id : null;
}
