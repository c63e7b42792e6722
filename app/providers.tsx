"use client";

import { QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { getQueryClient } from "@/lib/query/client";

/**
 * React Query for the client components. No useState around the client:
 * getQueryClient() already returns the tab's one client in the browser, and a
 * fresh one per server render (TanStack's App Router example does the same,
 * so a render that suspends cannot throw a client away).
 */
export function Providers({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  return <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
}
