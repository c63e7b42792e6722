"use client";

import { type DehydratedState, HydrationBoundary } from "@tanstack/react-query";
import { type ReactNode, useMemo } from "react";
import { stampedAt } from "@/lib/query/hydration";

/**
 * HydrationBoundary for state rendered without a time (lib/query/hydration.ts):
 * its queries are stamped with the moment this tab receives them, once per
 * state (a new render, e.g. after router.refresh(), is a new state).
 */
export function FreshHydrationBoundary({ state, children }: { state: DehydratedState; children: ReactNode }) {
  // Impure on purpose: the stamp is the moment this tab receives the state. Were
  // React to compute it again, a later moment would do as well.
  // eslint-disable-next-line react-hooks/purity
  const stamped = useMemo(() => stampedAt(state, Date.now()), [state]);
  return <HydrationBoundary state={stamped}>{children}</HydrationBoundary>;
}
