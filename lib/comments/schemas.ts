import { z } from "zod";
import { noNul } from "@/lib/posts/schemas";

export const createCommentSchema = z.strictObject({
  body: z
    .string()
    .trim()
    .min(1, "body must not be empty")
    .max(5_000, "body must be at most 5,000 characters")
    .refine(...noNul("body")),
});

export type CreateCommentInput = z.infer<typeof createCommentSchema>;

/** Comments a user may post per minute. */
export const COMMENTS_PER_MINUTE = 10;
