import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { mayReadOperatorSurface } from "@/lib/http/operator-access";
import { getCacheStats } from "@/lib/metrics/app";
import { CacheDashboard } from "./_components/cache-dashboard";

export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "Cache dashboard",
  description: "Hit ratio per key family, request costs and invalidations of this server process.",
};

/**
 * Rendered with the current numbers (readable without JavaScript), then polled
 * every 2 s. For operators only (ADMIN_EMAILS, or loopback with nothing
 * configured); anyone else gets the site's 404, as if there were no such page.
 */
export default async function CachePage() {
  if (!(await mayReadOperatorSurface("dashboard", await headers()))) notFound();
  return <CacheDashboard initial={await getCacheStats()} />;
}
