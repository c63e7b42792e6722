import type { SeedCounts, SeedProgress } from "./write";

export interface ProgressBar {
  update(progress: SeedProgress): void;
  /** Erases the bar so the summary line starts on a clean line. */
  clear(): void;
}

const WIDTH = 24;
const REDRAW_EVERY_MS = 100;

const formatCount = (n: number) => n.toLocaleString("en-US");

/** One self-overwriting line on a terminal, redrawn at most every 100 ms. */
export function createProgressBar(stream: NodeJS.WriteStream): ProgressBar {
  const started = performance.now();
  let lastDraw = -Infinity;
  let drawn = false;
  return {
    update({ phase, done, total, counts }) {
      const now = performance.now();
      if (now - lastDraw < REDRAW_EVERY_MS && done < total) return;
      lastDraw = now;
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(ratio * WIDTH);
      const bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
      const extra = phase === "posts" ? ` | ${formatCount(counts.likes)} likes | ${formatCount(counts.comments)} comments` : "";
      const line = `${phase.padEnd(5)} [${bar}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${formatCount(done)}/${formatCount(total)}${extra} | ${((now - started) / 1000).toFixed(1)} s`;
      stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, (stream.columns || 100) - 1))}`);
      drawn = true;
    },
    clear() {
      if (drawn) stream.write("\r\x1b[2K");
      drawn = false;
    },
  };
}

/** The one-line summary printed at the end. */
export function formatSummary(counts: SeedCounts, durationMs: number): string {
  return (
    `Seeded ${formatCount(counts.users)} users, ${formatCount(counts.posts)} posts, ` +
    `${formatCount(counts.likes)} likes, ${formatCount(counts.comments)} comments in ${(durationMs / 1000).toFixed(1)} s`
  );
}
