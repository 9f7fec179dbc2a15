/** Human and JSON output for `idem schema`: one block per table, or one JSON object. */
import type { SchemaResult, SchemaTable } from '../api/schema.ts';
import { EXIT } from './exit-codes.ts';
import type { Output } from './render.ts';

export function printSchema(s: SchemaResult, out: Output): number {
  out.record({ event: 'schema', ...s });
  out.line(`fingerprint: sha256:${s.fingerprint}`);
  out.line(`dialect:     ${s.dialect}, ${s.tables.length} table(s)`);
  for (const t of s.tables) {
    out.line('');
    for (const line of tableLines(t)) out.line(line);
  }
  return EXIT.ok;
}

function tableLines(t: SchemaTable): string[] {
  const lines = [`table ${t.name}`];
  const width = Math.max(...t.columns.map((c) => c.name.length), 1);
  for (const c of t.columns) {
    const marks = [
      c.nullable ? 'null' : 'not null',
      c.default !== null ? `default ${c.default}` : '',
      c.autoIncrement ? 'auto increment' : '',
    ].filter(Boolean).join(', ');
    lines.push(`  ${c.name.padEnd(width)}  ${c.type}  ${marks}`);
  }
  if (t.primaryKey.length) lines.push(`  primary key (${t.primaryKey.join(', ')})`);
  for (const u of t.uniqueKeys) lines.push(`  unique ${u.name} (${u.columns.join(', ')})`);
  for (const i of t.indexes) lines.push(`  ${i.unique ? 'unique index' : 'index'} ${i.name} (${i.columns.join(', ')})`);
  for (const f of t.foreignKeys) {
    lines.push(`  foreign key ${f.name ?? '(unnamed)'} (${f.columns.join(', ')}) -> ${f.refTable} (${f.refColumns.join(', ')}) on delete ${f.onDelete}, on update ${f.onUpdate}`);
  }
  return lines;
}
