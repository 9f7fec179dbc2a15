/**
 * Renders a run's results: results.md and one chart per engine, into `out`.
 * Also runnable on its own, to re-render a saved results.json:
 * `node bench/report/write-report.ts [bench/results.json]`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResults } from '../results.ts';
import { alembic } from '../tools/alembic.ts';
import { floor, floorFiles, raw } from '../tools/floors.ts';
import { BUILT_DIST, idemTool } from '../tools/idem.ts';
import { knex } from '../tools/knex.ts';
import { kysely } from '../tools/kysely.ts';
import type { BenchTool } from '../tools/tool.ts';
import { renderChart } from './chart.ts';
import { Figures } from './figures.ts';
import { chartFile, ENGINE_NAMES, renderMarkdown } from './markdown.ts';

/** In the order the tables list them: idem, the floors, the peers. */
const TOOLS: BenchTool[] = [idemTool(BUILT_DIST), raw, floor, floorFiles, knex, kysely, alembic];

export async function writeReport(results: BenchResults, out: string): Promise<string[]> {
  const tools = TOOLS.filter((t) => results.config.tools.includes(t.name));
  const figures = new Figures(results);
  const written = ['results.md'];
  await writeFile(join(out, 'results.md'), renderMarkdown(results, tools));
  for (const dialect of results.config.dialects) {
    if (!results.cells.some((c) => c.dialect === dialect && c.samples.length > 0)) continue;
    const svg = renderChart({
      dialect,
      title: `${ENGINE_NAMES[dialect]}: time against N (${results.startedAt.slice(0, 10)}, ${results.machine.cpu})`,
      ns: results.config.ns,
      tools: tools.map((t) => ({ name: t.name, label: t.label, scenarios: t.scenarios })),
      figures,
    });
    await writeFile(join(out, chartFile(dialect)), svg);
    written.push(chartFile(dialect));
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results.json'));
  const results = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
  const written = await writeReport(results, dirname(file));
  process.stderr.write(`wrote ${written.map((f) => join(dirname(file), f)).join(', ')}\n`);
}
