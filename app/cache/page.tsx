import type { Metadata } from "next";
import { getCacheStats } from "@/lib/metrics/app";
import { CacheDashboard } from "./_components/cache-dashboard";

export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "Cache dashboard",
  description: "Hit ratio per key family, request costs and invalidations of this server process.",
};

/** Rendered with the current numbers (readable without JavaScript), then polled every 2 s. */
export default async function CachePage() {
  return <CacheDashboard initial={await getCacheStats()} />;
}
