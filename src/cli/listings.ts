/** Human and JSON listings for `status`, `history` and `heads`. */
import type { StatusResult } from '../api/status.ts';
import { EXIT } from './exit-codes.ts';
import type { Output } from './render.ts';

export function printStatus(s: StatusResult, out: Output): number {
  out.record({ event: 'status', ...s, revisions: undefined });
  out.line(`database:   ${s.url}`);
  out.line(`migrations: ${s.dir} (${s.revisions.length})`);
  out.line(`heads:      ${s.heads.join(', ') || '(none)'}`);
  out.line(`applied:    ${s.applied.length}`);
  out.line(`pending:    ${s.pending.length}${s.pending.length ? `  (${s.pending.join(', ')}) — run \`idem up\`` : ''}`);
  if (s.unknown.length) out.line(`unknown:    ${s.unknown.join(', ')} — in the database, not in ${s.dir}: a stale build? rebuild the image without cache`);
  if (s.edited.length) {
    out.line(`edited:     ${s.edited.join(', ')} — changed since applied; put changes in a new migration, or run the edits now with \`idem up --reapply-changed\``);
  }
  if (s.heads.length > 1) out.line(`several heads: run \`idem merge ${s.heads.join(' ')} -m "merge heads"\``);
  return EXIT.ok;
}

export function printHistory(s: StatusResult, out: Output): number {
  for (const r of s.revisions) {
    out.record({ event: 'revision', ...r });
    const marks = [r.applied ? 'applied' : 'pending', r.head ? 'head' : '', r.edited ? 'edited' : ''].filter(Boolean).join(', ');
    const parents = r.revises.length ? ` <- ${r.revises.join(', ')}` : ' (base)';
    out.line(`${r.revision}${parents}  ${r.description}  [${marks}]  ${r.file}`);
  }
  for (const revision of s.unknown) {
    out.record({ event: 'revision', revision, unknown: true, applied: true });
    out.line(`${revision}  (unknown to the code: applied by another build)  [applied]`);
  }
  return EXIT.ok;
}

export function printHeads(s: StatusResult, out: Output): number {
  for (const head of s.heads) {
    const r = s.revisions.find((x) => x.revision === head)!;
    out.record({ event: 'head', revision: head, description: r.description, applied: r.applied, file: r.file });
    out.line(`${head}  ${r.description}  [${r.applied ? 'applied' : 'pending'}]`);
  }
  return EXIT.ok;
}
