import { AsyncLocalStorage } from "node:async_hooks";
import type { Dependencies } from "@/lib/cache/tags/whole";

/**
 * The request scope: what one request has cost so far (SQL statements, cache
 * round trips) and its per-request memo. Route handlers open one with
 * `runInScope`; the database client and the cache backends report into
 * `currentScope()` when there is one, and do nothing otherwise.
 */
export interface CacheAccount {
  roundTrips: number;
  keysRead: number;
  hits: number;
  misses: number;
  errors: number;
  bytesRead: number;
  bytesWritten: number;
  durationMs: number;
}

export interface DbAccount {
  queries: number;
  durationMs: number;
  /**
   * A statement of this request failed because the database could not be
   * reached (lib/db/availability.ts): what turns a page's 500 into a 503.
   */
  unavailable: boolean;
}

export interface RequestScope {
  /** performance.now() when the request began (single-flight joins only loads started since). */
  readonly startedAt: number;
  readonly db: DbAccount;
  readonly cache: CacheAccount;
  /** Per-request memo: one load per key per request, whatever asks for it. */
  readonly memo: Map<string, Promise<unknown>>;
  /**
   * What this request's response was built from (tags and the tokens read),
   * collected only when the server may store the response whole (a page:
   * server.ts sets it before the page renders). Services add to it with
   * `noteDependencies`.
   */
  deps?: Dependencies;
  /**
   * The response is a 503 `unavailable`: set by a page that rendered its
   * "temporarily unavailable" message instead of its content (a server
   * component cannot set its status; server.ts does, lib/http/unavailable.ts).
   */
  unavailable: boolean;
}

// One store per process, even if this module is loaded more than once (Next
// bundles a module into several server chunks; tests reload module graphs):
// the Prisma query listener and the route wrapper must see the same scope.
const globalForScope = globalThis as unknown as { blogRequestScope?: AsyncLocalStorage<RequestScope> };
const storage = (globalForScope.blogRequestScope ??= new AsyncLocalStorage<RequestScope>());

export function createScope(): RequestScope {
  return {
    startedAt: performance.now(),
    db: { queries: 0, durationMs: 0, unavailable: false },
    cache: { roundTrips: 0, keysRead: 0, hits: 0, misses: 0, errors: 0, bytesRead: 0, bytesWritten: 0, durationMs: 0 },
    memo: new Map(),
    unavailable: false,
  };
}

/** Runs `fn` with `scope` (a new one by default) as the current request scope. */
export function runInScope<T>(fn: () => T, scope: RequestScope = createScope()): T {
  return storage.run(scope, fn);
}

/**
 * Runs `fn` in the current request scope, or in a new one when there is none
 * (the custom server opens one per request; tests and `next dev` may not).
 */
export function inScope<T>(fn: () => T): T {
  return currentScope() ? fn() : runInScope(fn);
}

/** The scope of the request being served, or undefined outside one. */
export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

/**
 * Per-request memo: the first call for `key` in this request runs `load`; every
 * later call gets the same promise. Outside a request scope it just loads.
 * (The article's "double caching": a post's comments feed `comments` and
 * `latestComment` from one load.)
 */
export function memo<T>(key: string, load: () => Promise<T>): Promise<T> {
  const scope = currentScope();
  if (!scope) return load();
  let hit = scope.memo.get(key) as Promise<T> | undefined;
  if (!hit) {
    hit = load();
    scope.memo.set(key, hit);
    // A failed load must not poison the rest of the request.
    hit.catch(() => scope.memo.delete(key));
  }
  return hit;
}

/** Whether the request being served collects what its response depends on (see RequestScope.deps). */
export function dependenciesWanted(): boolean {
  return currentScope()?.deps !== undefined;
}

/**
 * Adds what a result was built from to the request's dependencies, when it
 * collects them. `undefined`: part of the response did not come from reads of
 * its tags, so the response must not be stored whole.
 */
export function noteDependencies(deps: Dependencies | undefined): void {
  const collected = currentScope()?.deps;
  if (!collected) return;
  if (deps) collected.merge(deps);
  else collected.markIncomplete();
}
