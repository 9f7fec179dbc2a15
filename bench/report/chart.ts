/**
 * One SVG per engine: time against N, one panel per scenario, one line per
 * tool, both axes logarithmic (the figures span 30 ms to minutes). Written
 * by hand: a few paths and labels need no charting library.
 */
import type { Scenario, ToolName } from '../tools/tool.ts';
import type { BenchDialect } from '../workload.ts';
import type { Figures } from './figures.ts';

const STYLE: Record<ToolName, { color: string; dash?: string; width: number }> = {
  idem: { color: '#d62728', width: 3 },
  raw: { color: '#555555', dash: '6 4', width: 2 },
  floor: { color: '#555555', dash: '2 3', width: 2 },
  'floor-files': { color: '#999999', dash: '2 3', width: 2 },
  knex: { color: '#1f77b4', width: 2 },
  kysely: { color: '#2ca02c', width: 2 },
  alembic: { color: '#9467bd', width: 2 },
};

/** Three panels side by side; `inset` keeps the first and last N off the panel's edges, so their labels do not meet. */
const PANEL = { width: 300, height: 230, left: 58, top: 50, gap: 30, inset: 22 };
const LEGEND_HEIGHT = 70;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function formatTick(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

export interface ChartInput {
  dialect: BenchDialect;
  title: string;
  ns: number[];
  tools: Array<{ name: ToolName; label: string; scenarios: readonly Scenario[] }>;
  figures: Figures;
}

export function renderChart(input: ChartInput): string {
  const scenarios: Scenario[] = ['fresh', 'noop', 'adopt'];
  const points = scenarios.map((scenario) => input.tools.filter((t) => t.scenarios.includes(scenario)).map((tool) => ({
    tool,
    values: input.ns.map((n) => ({ n, figure: input.figures.time(input.dialect, n, tool.name, scenario) }))
      .filter((p): p is { n: number; figure: NonNullable<typeof p.figure> } => p.figure !== undefined),
  })));
  const all = points.flat().flatMap((line) => line.values.map((v) => v.figure.value));
  const yMin = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...all, 100))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...all, 1000)));
  const xMin = Math.min(...input.ns);
  const xMax = Math.max(...input.ns);
  const width = PANEL.left + scenarios.length * (PANEL.width + PANEL.gap) + 10;
  const height = PANEL.top + PANEL.height + 40 + LEGEND_HEIGHT;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${PANEL.left}" y="20" font-size="14" font-weight="bold">${escapeXml(input.title)}</text>`,
  ];

  scenarios.forEach((scenario, i) => {
    const x0 = PANEL.left + i * (PANEL.width + PANEL.gap);
    const y0 = PANEL.top;
    const span = PANEL.width - 2 * PANEL.inset;
    const x = (n: number) => x0 + PANEL.inset + (xMax === xMin ? span / 2 : (Math.log(n / xMin) / Math.log(xMax / xMin)) * span);
    const y = (ms: number) => y0 + PANEL.height - (Math.log(ms / yMin) / Math.log(yMax / yMin)) * PANEL.height;
    out.push(`<text x="${x0 + PANEL.width / 2}" y="${y0 - 8}" text-anchor="middle" font-weight="bold" font-size="12">${scenario}</text>`);
    out.push(`<rect x="${x0}" y="${y0}" width="${PANEL.width}" height="${PANEL.height}" fill="none" stroke="#999"/>`);
    for (let tick = yMin; tick <= yMax; tick *= 10) {
      out.push(`<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e5e5"/>`);
      if (i === 0) out.push(`<text x="${x0 - 6}" y="${y(tick) + 4}" text-anchor="end">${formatTick(tick)}</text>`);
    }
    for (const n of input.ns) {
      out.push(`<line x1="${x(n)}" x2="${x(n)}" y1="${y0}" y2="${y0 + PANEL.height}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${x(n)}" y="${y0 + PANEL.height + 14}" text-anchor="middle">N=${n}</text>`);
    }
    for (const line of points[i]!) {
      const style = STYLE[line.tool.name];
      const path = line.values.map((v, k) => `${k === 0 ? 'M' : 'L'}${x(v.n).toFixed(1)},${y(v.figure.value).toFixed(1)}`).join(' ');
      if (line.values.length > 1) {
        out.push(`<path d="${path}" fill="none" stroke="${style.color}" stroke-width="${style.width}"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>`);
      }
      for (const v of line.values) {
        // A run stopped at the limit is a lower bound: an open triangle pointing up.
        if (v.figure.atLeast) {
          const px = x(v.n);
          const py = y(v.figure.value);
          out.push(`<path d="M${px - 5},${py + 4} L${px + 5},${py + 4} L${px},${py - 5} Z" fill="white" stroke="${style.color}" stroke-width="1.5"><title>${escapeXml(`${line.tool.label}: more than ${formatTick(v.figure.value)}`)}</title></path>`);
        } else {
          out.push(`<circle cx="${x(v.n).toFixed(1)}" cy="${y(v.figure.value).toFixed(1)}" r="3" fill="${style.color}"><title>${escapeXml(`${line.tool.label}, ${scenario}, N=${v.n}: ${Math.round(v.figure.value)} ms`)}</title></circle>`);
        }
      }
    }
  });

  const legendY = PANEL.top + PANEL.height + 36;
  input.tools.forEach((tool, i) => {
    const style = STYLE[tool.name];
    const lx = PANEL.left + (i % 3) * 330;
    const ly = legendY + Math.floor(i / 3) * 18;
    out.push(`<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${style.color}" stroke-width="${style.width}"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>`);
    out.push(`<text x="${lx + 34}" y="${ly + 4}">${escapeXml(tool.label)}</text>`);
  });
  out.push(`<text x="${PANEL.left}" y="${height - 8}" fill="#666">median wall time of the whole process, log scales; an open triangle is a run stopped at the time limit (a lower bound)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
