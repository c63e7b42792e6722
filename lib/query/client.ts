import { isServer, QueryClient } from "@tanstack/react-query";
import { isRetryable } from "./api";

// As in TanStack Query's App Router example: a new QueryClient for every
// server request (never share one user's data with another), one for the
// whole life of the browser tab.

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Data the server rendered is fresh: without a staleTime the browser
        // would refetch every hydrated query as soon as it mounts.
        staleTime: 30_000,
        // A 4xx will not change on retry; only network failures and 5xx may.
        retry: (failureCount, error) => failureCount < 2 && isRetryable(error),
      },
      mutations: { retry: false },
    },
  });
}

let browserQueryClient: QueryClient | undefined;

/** A new client per call on the server; the tab's single client in the browser. */
export function getQueryClient(): QueryClient {
  if (isServer) return makeQueryClient();
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}
