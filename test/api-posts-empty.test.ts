import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type Db } from "@/lib/db/client";
import type { Page, PostSummary } from "@/lib/posts/types";
import { createTestDatabase, dropDatabase } from "./databases";
import { call, expectErrorShape, json } from "./http";
import { loadRoutes } from "./routes";

// docs/api.md: page 1 of an empty list is 200 with no results; page 2 is past the end.
// This file points the app's client at a migrated, empty database of its own.
const name = `blog_test_empty_${process.pid}`;
const holder = globalThis as unknown as { blogDb?: Db };
let previous: Db | undefined;
let empty: Db;
let listPosts: Awaited<ReturnType<typeof loadRoutes>>["list"];

beforeAll(async () => {
  const url = await createTestDatabase(name);
  empty = createClient({ databaseUrl: url, dataDir: ".data" });
  previous = holder.blogDb;
  holder.blogDb = empty;
  // Uncached: the shared cache holds pages of the seeded test database.
  listPosts = (await loadRoutes("off")).list;
});

afterAll(async () => {
  holder.blogDb = previous;
  await empty.$disconnect();
  await dropDatabase(name);
});

describe("GET /api/posts on an empty blog", () => {
  it("gives page 1 with no results", async () => {
    const res = await call(listPosts, "/api/posts");
    expect(res.status).toBe(200);
    expect(await json<Page<PostSummary>>(res)).toEqual({
      count: 0,
      page: 1,
      pageSize: 20,
      totalPages: 1,
      next: null,
      previous: null,
      results: [],
    });
  });

  it("404s for page 2", async () => {
    const res = await call(listPosts, "/api/posts?page=2");
    expect(res.status).toBe(404);
    expectErrorShape(await res.json(), "not_found");
  });
});
