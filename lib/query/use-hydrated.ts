import { useSyncExternalStore } from "react";

const noopSubscribe = () => () => {};

/**
 * False in the server's HTML and during hydration, true once React handles
 * events in the browser. A control whose click would be lost before then (or
 * would make the browser submit a form itself) stays disabled until it is true.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(noopSubscribe, () => true, () => false);
}
