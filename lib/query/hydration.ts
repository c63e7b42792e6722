import { type DehydratedState, dehydrate, type QueryClient } from "@tanstack/react-query";

// A server render that does not depend on when it ran, so that a page stored
// whole (lib/http/fast-path.ts) is the same bytes as a page rendered now:
// the dehydrated queries carry no render time. The browser stamps them with
// the moment it hydrates (FreshHydrationBoundary): what it receives was valid
// when it was sent — rendered now, or checked against every tag it depends on
// by the cache — so "now" is when it was fetched, and it replaces older data
// the tab may hold (React Query keeps the newer of two).

/** `dehydrate`, with the render time (dataUpdatedAt, dehydratedAt) taken out. */
export function dehydrateWithoutTime(client: QueryClient): DehydratedState {
  const state = dehydrate(client);
  return {
    ...state,
    queries: state.queries.map((query) => ({ ...query, dehydratedAt: 0, state: { ...query.state, dataUpdatedAt: 0 } })),
  };
}

/** The dehydrated state as of `now`: what the browser hydrates. */
export function stampedAt(state: DehydratedState, now: number): DehydratedState {
  return {
    ...state,
    queries: state.queries.map((query) => ({
      ...query,
      dehydratedAt: now,
      state: { ...query.state, dataUpdatedAt: query.state.dataUpdatedAt === 0 && query.state.status === "success" ? now : query.state.dataUpdatedAt },
    })),
  };
}
