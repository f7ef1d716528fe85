// The throughput chart: model fps against batch size, one panel per model, one line per input
// size and execution provider. Plain SVG, no dependencies.
import type { ModelFpsPoint } from './model-fps.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Round-number ticks covering [0, max]. */
function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 0.001; v += step) out.push(Math.round(v * 1e6) / 1e6);
  if (out[out.length - 1] < max) out.push(out[out.length - 1] + step);
  return out;
}

export function fpsChartSvg(points: ModelFpsPoint[], title: string): string {
  const models = [...new Set(points.map((p) => p.model))];
  const W = 760, PH = 280, top = 40, left = 64, right = 200, bottom = 44;
  const height = top + models.length * (PH + 16) + 8;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  models.forEach((model, mi) => {
    const y0 = top + mi * (PH + 16);
    const pw = W - left - right, ph = PH - bottom - 24;
    const px = left, py = y0 + 24;
    const mine = points.filter((p) => p.model === model);
    const batches = [...new Set(mine.map((p) => p.batch))].sort((a, b) => a - b);
    const yt = ticks(Math.max(...mine.map((p) => p.fps)) * 1.05);
    const ymax = yt[yt.length - 1] || 1;
    const lb = batches.map((b) => Math.log2(b));
    const lmin = Math.min(...lb), lmax = Math.max(...lb);
    const xOf = (b: number) => px + (lmax > lmin ? ((Math.log2(b) - lmin) / (lmax - lmin)) * pw : pw / 2);
    const yOf = (v: number) => py + ph - (v / ymax) * ph;
    parts.push(`<text x="${px}" y="${y0 + 14}" font-size="13" font-weight="bold">${esc(model)}</text>`);
    parts.push(`<rect x="${px}" y="${py}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    for (const v of yt) {
      const y = yOf(v);
      parts.push(`<line x1="${px}" y1="${y}" x2="${px + pw}" y2="${y}" stroke="#eee"/>`);
      parts.push(`<text x="${px - 6}" y="${y + 4}" text-anchor="end">${v}</text>`);
    }
    for (const b of batches) {
      const x = xOf(b);
      parts.push(`<line x1="${x}" y1="${py}" x2="${x}" y2="${py + ph}" stroke="#f3f3f3"/>`);
      parts.push(`<text x="${x}" y="${py + ph + 16}" text-anchor="middle">${b}</text>`);
    }
    parts.push(`<text x="${px + pw / 2}" y="${py + ph + 34}" text-anchor="middle">batch size</text>`);
    parts.push(`<text x="${px - 46}" y="${py + ph / 2}" text-anchor="middle" transform="rotate(-90 ${px - 46} ${py + ph / 2})">frames / s</text>`);
    const series = new Map<string, ModelFpsPoint[]>();
    for (const p of mine) {
      const k = `${p.width}x${p.height} ${p.provider}`;
      series.set(k, [...(series.get(k) ?? []), p]);
    }
    [...series.keys()].sort().forEach((k, si) => {
      const pts = series.get(k)!.sort((a, b) => a.batch - b.batch);
      const color = COLORS[si % COLORS.length];
      const d = pts.map((p, i) => `${i ? 'L' : 'M'}${xOf(p.batch).toFixed(1)},${yOf(p.fps).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const p of pts) parts.push(`<circle cx="${xOf(p.batch).toFixed(1)}" cy="${yOf(p.fps).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${k} batch ${p.batch}: ${p.fps.toFixed(2)} fps`)}</title></circle>`);
      const ly = py + 8 + si * 18;
      parts.push(`<line x1="${px + pw + 14}" y1="${ly}" x2="${px + pw + 36}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
      parts.push(`<text x="${px + pw + 42}" y="${ly + 4}">${esc(k)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
