// Hand-made SVG charts for the /cache dashboard: no chart library. Each chart
// is drawn at its container's measured width (one SVG unit = one CSS pixel),
// so text stays the same size on a phone and on a desktop, and only the plot
// stretches; before the first measurement (server render) it assumes 320 px
// and scales. Colours come from CSS variables (app/globals.css, "Cache
// dashboard" block), so dark mode works. Used by the client dashboard only.
import { type RefObject, useEffect, useRef, useState } from "react";

export interface Series {
  name: string;
  /** A CSS colour, e.g. "var(--chart-1)". */
  color: string;
  /** One value per time in `times`; null = nothing to show for that interval. */
  values: readonly (number | null)[];
}

const DEFAULT_WIDTH = 320;
const PAD = { left: 34, right: 8, top: 8, bottom: 20 };

/** The width of the element `ref` points at, kept up to date (ResizeObserver). */
function useWidth(): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(DEFAULT_WIDTH);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const update = () => {
      const measured = Math.round(element.getBoundingClientRect().width);
      if (measured > 0) setWidth((current) => (current === measured ? current : measured));
    };
    update();
    const observer = new ResizeObserver(update);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/**
 * A line chart over a fixed time window ending at `now`: x is time (the
 * window scrolls left), y runs from 0 to `yMax`. Gaps (null) break the line;
 * a lone value shows as a dot.
 */
export function LineChart({
  label,
  series,
  times,
  now,
  windowSeconds,
  yMax,
  yTicks,
  formatY,
  height = 120,
}: {
  /** What the chart shows, for screen readers (the figure's caption says it too). */
  label: string;
  series: readonly Series[];
  times: readonly number[];
  now: number;
  windowSeconds: number;
  yMax: number;
  yTicks: readonly number[];
  formatY: (value: number) => string;
  height?: number;
}) {
  const [ref, W] = useWidth();
  const plotW = W - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const start = now - windowSeconds * 1000;
  const x = (t: number) => PAD.left + Math.max(0, Math.min(1, (t - start) / (windowSeconds * 1000))) * plotW;
  const y = (v: number) => PAD.top + plotH - (Math.max(0, Math.min(yMax, v)) / (yMax || 1)) * plotH;
  const minutes = Math.round(windowSeconds / 60);
  return (
    <div ref={ref} className="chart-box">
      <svg className="chart" viewBox={`0 0 ${W} ${height}`} role="img" aria-label={label} preserveAspectRatio="xMidYMid meet">
        <title>{label}</title>
        {yTicks.map((tick) => (
          <g key={tick}>
            <line className="chart-grid" x1={PAD.left} x2={W - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text className="chart-tick" x={PAD.left - 4} y={y(tick)} dy="0.32em" textAnchor="end">
              {formatY(tick)}
            </text>
          </g>
        ))}
        <text className="chart-tick" x={PAD.left} y={height - 4} textAnchor="start">
          {minutes > 0 ? `−${minutes} min` : `−${windowSeconds} s`}
        </text>
        <text className="chart-tick" x={W - PAD.right} y={height - 4} textAnchor="end">
          now
        </text>
        {series.map((s) =>
          segments(s.values).map((segment) =>
            segment.length === 1 ? (
              <circle key={`${s.name}-${segment[0]}`} cx={x(times[segment[0]!]!)} cy={y(s.values[segment[0]!]!)} r={2.5} fill={s.color} />
            ) : (
              <polyline
                key={`${s.name}-${segment[0]}`}
                className="chart-line"
                stroke={s.color}
                points={segment.map((i) => `${x(times[i]!).toFixed(1)},${y(s.values[i]!).toFixed(1)}`).join(" ")}
              />
            ),
          ),
        )}
      </svg>
    </div>
  );
}

/** Runs of consecutive indexes whose value is not null. */
function segments(values: readonly (number | null)[]): number[][] {
  const out: number[][] = [];
  let run: number[] = [];
  values.forEach((value, i) => {
    if (value === null) {
      if (run.length > 0) out.push(run);
      run = [];
    } else {
      run.push(i);
    }
  });
  if (run.length > 0) out.push(run);
  return out;
}

/** Horizontal bars, largest first, each with its label and value. */
export function BarChart({ label, bars, color = "var(--chart-1)" }: { label: string; bars: readonly { name: string; value: number }[]; color?: string }) {
  const [ref, W] = useWidth();
  const row = 26;
  const labelW = 136;
  const valueW = 48;
  const height = Math.max(1, bars.length) * row + 4;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const barW = W - labelW - valueW;
  return (
    <div ref={ref} className="chart-box">
      <svg className="chart" viewBox={`0 0 ${W} ${height}`} role="img" aria-label={label}>
        <title>{label}</title>
        {bars.length === 0 ? (
          <text className="chart-empty" x={W / 2} y={height / 2 + 4} textAnchor="middle">
            none yet
          </text>
        ) : (
          bars.map((bar, i) => {
            const top = i * row + 4;
            return (
              <g key={bar.name}>
                <text className="chart-label" x={labelW - 6} y={top + row / 2} dy="0.32em" textAnchor="end">
                  {bar.name}
                </text>
                <rect x={labelW} y={top + 4} width={Math.max(2, (bar.value / max) * barW)} height={row - 10} rx={3} fill={color} />
                <text className="chart-label" x={labelW + Math.max(2, (bar.value / max) * barW) + 4} y={top + row / 2} dy="0.32em">
                  {bar.value.toLocaleString("en-US")}
                </text>
              </g>
            );
          })
        )}
      </svg>
    </div>
  );
}
