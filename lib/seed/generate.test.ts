import { describe, expect, it } from "vitest";
import {
  CONTENT_MAX_BYTES,
  CONTENT_MIN_BYTES,
  DAY_MS,
  FIXED_ANCHOR,
  generateAll,
  generatePostBatches,
  generateUsers,
  resolveAnchor,
  TITLE_MAX_CHARS,
  type SeedConfig,
} from "./generate";

const config: SeedConfig = { users: 200, posts: 2000, maxLikes: 50, maxComments: 5, seed: 42, anchor: resolveAnchor() };
const data = generateAll(config);

describe("determinism", () => {
  it("gives the same rows for the same config", () => {
    expect(generateAll(config)).toEqual(data);
  });

  it("gives different rows for a different seed", () => {
    const other = generateAll({ ...config, seed: 43 });
    expect(other.users.map((u) => u.id)).not.toEqual(data.users.map((u) => u.id));
    expect(other.posts.map((p) => p.content)).not.toEqual(data.posts.map((p) => p.content));
    expect(other.likes.length).not.toBe(data.likes.length);
  });

  it("does not depend on the batch size", () => {
    const small = { posts: [] as unknown[], likes: [] as unknown[], comments: [] as unknown[] };
    for (const batch of generatePostBatches(config, data.users, 7)) {
      small.posts.push(...batch.posts);
      small.likes.push(...batch.likes);
      small.comments.push(...batch.comments);
    }
    expect(small).toEqual({ posts: data.posts, likes: data.likes, comments: data.comments });
  });

  it("keeps posts unchanged when only the like and comment limits change", () => {
    const other = generateAll({ ...config, maxLikes: 3, maxComments: 1 });
    expect(other.posts).toEqual(data.posts);
    expect(other.users).toEqual(data.users);
  });
});

describe("users", () => {
  it("are demo1..N@example.com with opaque unique ids and unique names", () => {
    expect(data.users.map((u) => u.email)).toEqual(data.users.map((_, i) => `demo${i + 1}@example.com`));
    for (const user of data.users) expect(user.id).toMatch(/^u_[0-9a-z]{14}$/);
    expect(new Set(data.users.map((u) => u.id)).size).toBe(config.users);
    expect(new Set(data.users.map((u) => u.name)).size).toBe(config.users);
    for (const user of data.users) expect(user.name).toMatch(/^[A-Z][a-z]+ ([A-Z]\. )?[A-Z][a-z]+$/);
  });

  it("stay unique when there are more users than first x last name pairs", () => {
    const users = generateUsers({ ...config, users: 20_000 });
    expect(new Set(users.map((u) => u.id)).size).toBe(20_000);
    expect(new Set(users.map((u) => u.name)).size).toBeGreaterThan(19_900);
  });
});

describe("posts", () => {
  it("have ids 1..N, an existing author and a title of at most 200 characters", () => {
    const userIds = new Set(data.users.map((u) => u.id));
    expect(data.posts.map((p) => p.id)).toEqual(data.posts.map((_, i) => i + 1));
    for (const post of data.posts) {
      expect(userIds.has(post.authorId)).toBe(true);
      expect(post.title.length).toBeGreaterThan(10);
      expect(post.title.length).toBeLessThanOrEqual(TITLE_MAX_CHARS);
    }
    expect(new Set(data.posts.map((p) => p.title)).size).toBeGreaterThan(config.posts / 4);
  });

  it("are Markdown of 1-2 KB with headings, a list, a link, a code block and emphasis", () => {
    for (const { content } of data.posts) {
      const bytes = Buffer.byteLength(content, "utf8");
      expect(bytes).toBeGreaterThanOrEqual(CONTENT_MIN_BYTES);
      expect(bytes).toBeLessThanOrEqual(CONTENT_MAX_BYTES);
      expect(content).toMatch(/^## \S/m);
      expect(content).toMatch(/^(- |\d\. )\S/m);
      expect(content).toMatch(/\[[^\]]+\]\(https:\/\/[^)\s]+\)/);
      expect(content).toMatch(/^```[a-z]+\n[\s\S]+?\n```$/m);
      expect(content).toMatch(/(\*\*|\*)[^*\s][^*]*\1/);
      expect(content).not.toMatch(/\{(noun2?|tool2?|activity|link|duration|number)\}|undefined|lorem/i);
    }
  });

  it("vary in size and content", () => {
    const sizes = data.posts.map((p) => p.content.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeGreaterThan(500);
    expect(new Set(data.posts.map((p) => p.content)).size).toBe(config.posts);
  });
});

describe("dates", () => {
  const anchor = config.anchor.getTime();

  it("anchor at a fixed past instant, or today when the clock is behind it", () => {
    expect(resolveAnchor(new Date("2030-01-01T12:00:00Z"))).toEqual(FIXED_ANCHOR);
    expect(resolveAnchor(new Date("2026-03-04T15:16:17Z"))).toEqual(new Date("2026-03-04T00:00:00Z"));
    expect(resolveAnchor().getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("are never after the anchor (so never in the future)", () => {
    const all = [
      ...data.users.map((u) => u.createdAt),
      ...data.posts.flatMap((p) => [p.dateAdded, p.updatedAt]),
      ...data.likes.map((l) => l.createdAt),
      ...data.comments.map((c) => c.dateAdded),
    ];
    for (const date of all) expect(date.getTime()).toBeLessThanOrEqual(anchor);
    expect(anchor).toBeLessThanOrEqual(Date.now());
  });

  it("spread posts over the past year, in id order", () => {
    const times = data.posts.map((p) => p.dateAdded.getTime());
    expect(Math.min(...times)).toBeLessThan(anchor - 330 * DAY_MS);
    expect(Math.max(...times)).toBeGreaterThan(anchor - 7 * DAY_MS);
    const months = new Set(data.posts.map((p) => p.dateAdded.toISOString().slice(0, 7)));
    expect(months.size).toBeGreaterThanOrEqual(12);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
  });

  it("put users before their posts, and likes and comments after their post", () => {
    const firstPost = data.posts[0]?.dateAdded.getTime() ?? 0;
    for (const user of data.users) expect(user.createdAt.getTime()).toBeLessThan(firstPost);
    const postDate = new Map(data.posts.map((p) => [p.id, p.dateAdded.getTime()]));
    for (const like of data.likes) expect(like.createdAt.getTime()).toBeGreaterThanOrEqual(postDate.get(like.postId) as number);
    for (const comment of data.comments) expect(comment.dateAdded.getTime()).toBeGreaterThanOrEqual(postDate.get(comment.postId) as number);
    for (const post of data.posts) expect(post.updatedAt.getTime()).toBeGreaterThanOrEqual(post.dateAdded.getTime());
  });
});

describe("likes", () => {
  const perPost = new Map<number, number>();
  for (const like of data.likes) perPost.set(like.postId, (perPost.get(like.postId) ?? 0) + 1);

  it("leave about 10 % of posts without any like", () => {
    const zero = data.posts.filter((p) => !perPost.has(p.id)).length;
    expect(zero / config.posts).toBeGreaterThan(0.06);
    expect(zero / config.posts).toBeLessThan(0.14);
  });

  it("never repeat a (post, user) pair, and stay within --max-likes", () => {
    const pairs = new Set(data.likes.map((l) => `${l.postId}:${l.userId}`));
    expect(pairs.size).toBe(data.likes.length);
    expect(Math.max(...perPost.values())).toBeLessThanOrEqual(config.maxLikes);
    expect(Math.max(...perPost.values())).toBeGreaterThan(config.maxLikes / 2);
  });

  it("come from many users", () => {
    const userIds = new Set(data.users.map((u) => u.id));
    const likers = new Set(data.likes.map((l) => l.userId));
    for (const id of likers) expect(userIds.has(id)).toBe(true);
    expect(likers.size).toBeGreaterThan(config.users * 0.9);
  });

  it("are capped by the number of users and absent with --max-likes 0", () => {
    const few = generateAll({ ...config, users: 3, posts: 50, maxLikes: 50 });
    const counts = new Map<number, number>();
    for (const like of few.likes) counts.set(like.postId, (counts.get(like.postId) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(3);
    expect(generateAll({ ...config, posts: 50, maxLikes: 0 }).likes).toEqual([]);
  });
});

describe("comments", () => {
  it("have ids 1..M, 0..max per post, from many authors", () => {
    expect(data.comments.map((c) => c.id)).toEqual(data.comments.map((_, i) => i + 1));
    const perPost = new Map<number, number>();
    for (const c of data.comments) perPost.set(c.postId, (perPost.get(c.postId) ?? 0) + 1);
    expect(Math.max(...perPost.values())).toBeLessThanOrEqual(config.maxComments);
    expect(perPost.size).toBeLessThan(config.posts); // some posts have none
    expect(perPost.size).toBeGreaterThan(config.posts / 2);
    expect(new Set(data.comments.map((c) => c.authorId)).size).toBeGreaterThan(config.users * 0.9);
  });

  it("are 1-3 sentences", () => {
    for (const { body } of data.comments) {
      const sentences = body.split(/(?<=[.?!])\s+/);
      expect(sentences.length).toBeGreaterThanOrEqual(1);
      expect(sentences.length).toBeLessThanOrEqual(3);
      for (const s of sentences) expect(s).toMatch(/^[A-Z].*[.?!]$/);
    }
  });

  it("are absent with --max-comments 0", () => {
    expect(generateAll({ ...config, posts: 50, maxComments: 0 }).comments).toEqual([]);
  });
});
