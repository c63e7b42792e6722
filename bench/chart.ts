// docs/bench.svg, drawn by hand (no charting dependency): throughput per mode
// and endpoint from the latest default run, with the two floors, and the
// latest sweep's one-request latency as lines (2,000 → 200,000 posts).
import fs from "node:fs";
import path from "node:path";
import { fmtInt, fmtMs, type ModesResult, type SweepPoint, type SweepResult } from "./report";

const WIDTH = 960;
const MODE_COLORS: Record<string, string> = { off: "#9aa0a6", "per-object": "#f28e2b", batched: "#4e79a7", "full-next": "#8cd17d", full: "#2e8b57" };
const SWEEP_COLORS: Record<string, string> = { list1: "#4e79a7", listRandom: "#e15759", post: "#2e8b57", postRandom: "#b07aa1" };
const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"`;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const text = (x: number, y: number, s: string, attrs = "") => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;

/** A "nice" axis maximum and step for `max`. */
function niceScale(max: number, ticks = 5): { top: number; step: number } {
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return { top: Math.ceil(max / step) * step, step };
}

function throughputPanel(result: ModesResult, y0: number): { svg: string; height: number } {
  const height = 360;
  const left = 70;
  const right = WIDTH - 20;
  const top = y0 + 58;
  const bottom = y0 + height - 60;
  const rows = result.rows.filter((r) => r.mode !== "floor");
  const nextFloor = result.rows.find((r) => r.mode === "floor" && r.endpoint === "floor-next");
  const nodeFloor = result.rows.find((r) => r.mode === "floor" && r.endpoint === "floor-node");
  const endpoints = [...new Map(rows.map((r) => [r.endpoint, r.label])).entries()];
  const modes = [...new Set(rows.map((r) => r.mode))];
  const maxBar = Math.max(...rows.map((r) => r.load.rps), nextFloor?.load.rps ?? 0);
  const { top: axisMax, step } = niceScale(maxBar * 1.08);
  const y = (v: number) => bottom - (Math.min(v, axisMax) / axisMax) * (bottom - top);
  const parts: string[] = [];
  parts.push(text(left - 50, y0 + 22, "Throughput per mode and endpoint (requests/s, higher is better)", `font-size="16" font-weight="600"`));
  parts.push(
    text(left - 50, y0 + 40, `${fmtInt(result.params.posts)} posts · ${result.params.connections} connections · ${result.params.durationSeconds} s per endpoint after ${result.params.warmupSeconds} s warm-up · ${result.startedAt.slice(0, 10)}`, `font-size="11" fill="#555"`),
  );
  for (let v = 0; v <= axisMax + 1e-9; v += step) {
    parts.push(`<line x1="${left}" x2="${right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(text(left - 8, y(v) + 4, fmtInt(v), `font-size="10" text-anchor="end" fill="#666"`));
  }
  const groupWidth = (right - left) / endpoints.length;
  const barWidth = Math.min(30, (groupWidth - 24) / modes.length);
  endpoints.forEach(([endpoint, label], g) => {
    const gx = left + g * groupWidth + (groupWidth - barWidth * modes.length) / 2;
    modes.forEach((mode, m) => {
      const row = rows.find((r) => r.endpoint === endpoint && r.mode === mode);
      if (!row) return;
      const x = gx + m * barWidth;
      const by = y(row.load.rps);
      parts.push(`<rect x="${(x + 1).toFixed(1)}" y="${by.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(bottom - by).toFixed(1)}" fill="${MODE_COLORS[mode] ?? "#888"}"><title>${esc(`${mode} · ${label}: ${fmtInt(row.load.rps)} req/s, p99 ${fmtMs(row.load.latency.p99)} ms`)}</title></rect>`);
      parts.push(text(x + barWidth / 2, by - 4, fmtInt(row.load.rps), `font-size="9" text-anchor="middle" fill="#333"`));
    });
    const words = label.split(" ");
    const half = Math.ceil(words.length / 2);
    const lines = label.length > 22 ? [words.slice(0, half).join(" "), words.slice(half).join(" ")] : [label];
    lines.forEach((line, i) => parts.push(text(left + g * groupWidth + groupWidth / 2, bottom + 16 + i * 13, line, `font-size="11" text-anchor="middle" fill="#222"`)));
  });
  parts.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#999"/>`);
  if (nextFloor) {
    const fy = y(nextFloor.load.rps);
    parts.push(`<line x1="${left}" x2="${right}" y1="${fy.toFixed(1)}" y2="${fy.toFixed(1)}" stroke="#c0392b" stroke-dasharray="6 4" stroke-width="1.5"/>`);
    parts.push(text(right - 4, fy - 5, `Next.js floor (route, 1 Redis GET): ${fmtInt(nextFloor.load.rps)} req/s`, `font-size="10" text-anchor="end" fill="#c0392b"`));
  }
  if (nodeFloor) {
    const inRange = nodeFloor.load.rps <= axisMax;
    const fy = y(nodeFloor.load.rps);
    if (inRange) parts.push(`<line x1="${left}" x2="${right}" y1="${fy.toFixed(1)}" y2="${fy.toFixed(1)}" stroke="#8e44ad" stroke-dasharray="2 3" stroke-width="1.5"/>`);
    parts.push(text(right - 4, inRange ? fy - 5 : top - 6, `bare node:http floor (1 Redis GET): ${fmtInt(nodeFloor.load.rps)} req/s${inRange ? "" : " (above this scale)"}`, `font-size="10" text-anchor="end" fill="#8e44ad"`));
  }
  // Legend.
  let lx = left;
  const ly = y0 + height - 18;
  for (const mode of modes) {
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${MODE_COLORS[mode] ?? "#888"}"/>`);
    parts.push(text(lx + 16, ly + 1, mode, `font-size="11"`));
    lx += 30 + mode.length * 7;
  }
  return { svg: parts.join("\n"), height };
}

function sweepPanel(sweep: SweepResult | undefined, y0: number): { svg: string; height: number } {
  const height = 300;
  const parts: string[] = [];
  parts.push(text(20, y0 + 22, "Scale: latency of one request as the data grows (median, ms, log scale, lower is better)", `font-size="16" font-weight="600"`));
  if (!sweep || sweep.points.length === 0) {
    parts.push(text(20, y0 + 60, "No sweep yet: npm run bench -- --sweep", `font-size="12" fill="#555"`));
    return { svg: parts.join("\n"), height: 90 };
  }
  parts.push(text(20, y0 + 40, `full vs off · requests sent one at a time after ${sweep.params.warmupSeconds + sweep.params.durationSeconds} s of load · ${sweep.startedAt.slice(0, 10)} · solid: full, dashed: off`, `font-size="11" fill="#555"`));
  const scales = [...new Set(sweep.points.map((p) => p.posts))].sort((a, b) => a - b);
  const panels: { title: string; endpoints: string[] }[] = [
    { title: "list pages", endpoints: ["list1", "listRandom"] },
    { title: "post JSON", endpoints: ["post", "postRandom"] },
  ];
  const latency = (p: SweepPoint) => p.aloneP50 ?? p.p50;
  const values = sweep.points.map(latency).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const panelWidth = (WIDTH - 60) / panels.length;
  panels.forEach((panel, pi) => {
    const left = 70 + pi * panelWidth;
    const right = left + panelWidth - 150;
    const top = y0 + 62;
    const bottom = y0 + height - 40;
    const x = (i: number) => left + (scales.length === 1 ? 0.5 : i / (scales.length - 1)) * (right - left);
    const y = (v: number) => bottom - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (bottom - top);
    parts.push(text(left, top - 8, panel.title, `font-size="12" font-weight="600"`));
    for (let v = lo; v <= hi * 1.0001; v *= 10) {
      parts.push(`<line x1="${left}" x2="${right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
      parts.push(text(left - 6, y(v) + 4, fmtMs(v).replace(/\.0+$/, ""), `font-size="10" text-anchor="end" fill="#666"`));
    }
    scales.forEach((s, i) => parts.push(text(x(i), bottom + 16, `${fmtInt(s)} posts`, `font-size="10" text-anchor="middle" fill="#222"`)));
    const labels: { y: number; text: string; color: string }[] = [];
    for (const endpoint of panel.endpoints) {
      for (const mode of ["full", "off"]) {
        const series = scales.map((s) => sweep.points.find((p) => p.posts === s && p.mode === mode && p.endpoint === endpoint));
        const pts = series.map((p, i) => (p ? `${x(i).toFixed(1)},${y(latency(p)).toFixed(1)}` : "")).filter(Boolean);
        if (pts.length === 0) continue;
        const color = SWEEP_COLORS[endpoint] ?? "#333";
        parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="2" ${mode === "off" ? `stroke-dasharray="6 4"` : ""}/>`);
        series.forEach((p, i) => {
          if (p) parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(latency(p)).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${p.label}, ${mode}, ${fmtInt(p.posts)} posts: alone ${fmtMs(latency(p))} ms; under load p50 ${fmtMs(p.p50)} ms, ${fmtInt(p.rps)} req/s`)}</title></circle>`);
        });
        const last = series[series.length - 1];
        if (last) labels.push({ y: y(latency(last)) + 4, text: `${last.label}, ${mode}: ${fmtMs(latency(last))} ms`, color });
      }
    }
    // End-of-line labels, pushed apart where lines end close together.
    labels.sort((a, b) => a.y - b.y);
    labels.forEach((label, i) => {
      const previous = labels[i - 1];
      if (previous && label.y - previous.y < 12) label.y = previous.y + 12;
      parts.push(text(right + 6, label.y, label.text, `font-size="10" fill="${label.color}"`));
    });
  });
  return { svg: parts.join("\n"), height };
}

export function renderChart(modes: ModesResult | undefined, sweep: SweepResult | undefined): string {
  const sections: string[] = [];
  let y = 0;
  if (modes) {
    const panel = throughputPanel(modes, y);
    sections.push(panel.svg);
    y += panel.height;
  }
  const s = sweepPanel(sweep, y);
  sections.push(s.svg);
  y += s.height;
  const m = modes?.machine ?? sweep?.machine;
  if (m) {
    const busy = (m.loadAvgStart[0] ?? 0) >= 1 ? " (other work was running: figures are noisy)" : "";
    sections.push(text(20, y + 4, `${m.nproc} cores, ${m.cpuModel}, Node ${m.node}; load average at start ${m.loadAvgStart.join(" / ")}${busy}`, `font-size="10" fill="#777"`));
    y += 16;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...sections,
    `</svg>`,
    "",
  ].join("\n");
}

export const chartPath = path.resolve(import.meta.dirname, "..", "docs", "bench.svg");

export function writeChart(modes: ModesResult | undefined, sweep: SweepResult | undefined): string {
  fs.writeFileSync(chartPath, renderChart(modes, sweep));
  return chartPath;
}
