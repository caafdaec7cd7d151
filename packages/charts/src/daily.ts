import { FONT_FAMILY, renderPng } from './render.js';

/** Changes of one type in one hour of a UTC day. */
export interface HourlyCount {
  hour: number;
  type: string;
  changes: number;
}

export interface DailyChartInput {
  /** Shown above the bars, e.g. `Changes per hour · de · 2026-12-05 (UTC)`. */
  title: string;
  hourly: readonly HourlyCount[];
}

/** Stacking order, bottom up, and each type's colour (one per type, readable side by side). */
export const CHANGE_TYPES = [
  { type: 'edit', color: '#3366cc' },
  { type: 'new', color: '#109618' },
  { type: 'log', color: '#ff9900' },
  { type: 'categorize', color: '#990099' },
  { type: 'external', color: '#888888' },
] as const;

const WIDTH = 800;
const HEIGHT = 400;
const PLOT = { left: 64, right: 16, top: 48, bottom: 64 } as const;

/**
 * Changes per hour of one day as stacked bars by type, an SVG drawn here (no chart library:
 * the picture is 24 bars, and a fixed layout keeps the output byte-for-byte stable).
 */
export function dailyChartSvg(input: DailyChartInput): string {
  const byHour = Array.from({ length: 24 }, () => new Map<string, number>());
  for (const row of input.hourly) {
    if (Number.isInteger(row.hour) && row.hour >= 0 && row.hour < 24 && row.changes > 0) {
      const type = CHANGE_TYPES.some((t) => t.type === row.type) ? row.type : 'external';
      const hour = byHour[row.hour]!;
      hour.set(type, (hour.get(type) ?? 0) + row.changes);
    }
  }
  const totals = byHour.map((hour) => [...hour.values()].reduce((a, b) => a + b, 0));
  const step = niceStep(Math.max(...totals, 1) / 4);
  const top = Math.max(step, Math.ceil(Math.max(...totals, 1) / step) * step);
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const y = (value: number) => PLOT.top + plotHeight - (value / top) * plotHeight;
  const slot = plotWidth / 24;
  const parts: string[] = [
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(PLOT.left, 28, escapeXml(input.title), { size: 16, weight: 'bold' }),
  ];
  for (let value = 0; value <= top; value += step) {
    const at = round(y(value));
    parts.push(
      `<line x1="${PLOT.left}" x2="${WIDTH - PLOT.right}" y1="${at}" y2="${at}" stroke="#dddddd"/>`,
      text(PLOT.left - 8, at + 4, formatCount(value), { anchor: 'end' }),
    );
  }
  for (const [hour, counts] of byHour.entries()) {
    const x = round(PLOT.left + hour * slot + slot * 0.15);
    let base = 0;
    for (const { type, color } of CHANGE_TYPES) {
      const n = counts.get(type) ?? 0;
      if (n === 0) continue;
      const y1 = round(y(base + n));
      const height = round(y(base) - y(base + n));
      parts.push(
        `<rect x="${x}" y="${y1}" width="${round(slot * 0.7)}" height="${height}" fill="${color}"/>`,
      );
      base += n;
    }
    if (hour % 3 === 0) {
      parts.push(
        text(round(PLOT.left + (hour + 0.5) * slot), HEIGHT - PLOT.bottom + 18, pad(hour), {
          anchor: 'middle',
        }),
      );
    }
  }
  parts.push(
    `<line x1="${PLOT.left}" x2="${WIDTH - PLOT.right}" y1="${y(0)}" y2="${y(0)}" stroke="#444444"/>`,
  );
  for (const [i, { type, color }] of CHANGE_TYPES.entries()) {
    const x = PLOT.left + i * 120;
    parts.push(
      `<rect x="${x}" y="${HEIGHT - 26}" width="12" height="12" fill="${color}"/>`,
      text(x + 18, HEIGHT - 16, type),
    );
  }
  parts.push(text(WIDTH - PLOT.right, HEIGHT - 16, 'hour (UTC)', { anchor: 'end' }));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

export function dailyChartPng(input: DailyChartInput): Buffer {
  return renderPng(dailyChartSvg(input));
}

function text(
  x: number,
  y: number,
  content: string,
  options: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: 'bold' } = {},
): string {
  const weight = options.weight ? ` font-weight="${options.weight}"` : '';
  return `<text x="${x}" y="${y}" font-family="${FONT_FAMILY}" font-size="${options.size ?? 12}" text-anchor="${options.anchor ?? 'start'}" fill="#222222"${weight}>${content}</text>`;
}

/** 1, 2 or 5 times a power of ten, at least `raw`: tick values people read at a glance. */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const factor of [1, 2, 5, 10]) if (factor * power >= raw) return factor * power;
  return 10 * power;
}

function formatCount(value: number): string {
  if (value >= 1_000_000) return `${trim(value / 1_000_000)}M`;
  if (value >= 1000) return `${trim(value / 1000)}k`;
  return String(value);
}

function trim(value: number): string {
  return value.toFixed(1).replace(/\.0$/, '');
}

function pad(hour: number): string {
  return `${String(hour).padStart(2, '0')}:00`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeXml(value: string): string {
  return value.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}
