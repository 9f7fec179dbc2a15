/**
 * The revision DAG, as in Alembic's `script/revision.py`: pure data in, answers
 * out, no I/O. Every error is an IdemError whose `data` carries the facts
 * (duplicate files, the missing parent, cycle members, the heads) so the CLI
 * can print them and `--json` can emit them without parsing the message.
 *
 * Every walk is iterative: a project with 10,000 migrations in one chain is a
 * 10,000-deep graph, and recursion that deep overflows V8's stack.
 */
import { IdemError } from '../errors.ts';

export interface RevisionNode {
  revision: string;
  revises: string[];
  description: string;
  file: string;
}

/** Prefixes shorter than this are too likely to collide as the project grows. */
const MIN_PREFIX = 4;
/** How many revision ids an "unknown target" error offers as examples. */
const KNOWN_SAMPLE = 5;

/**
 * The nodes by revision id (the first of duplicates), and the ids more than
 * one file declares, with those files, in the order of each id's first file.
 */
export function byRevisionId(nodes: readonly RevisionNode[]): { byRevision: Map<string, RevisionNode>; duplicates: Map<string, string[]> } {
  const byRevision = new Map<string, RevisionNode>();
  // Only for ids declared twice: a list for every id would be a thousand arrays to find none.
  const seenAgain = new Map<string, string[]>();
  for (const node of nodes) {
    const first = byRevision.get(node.revision);
    if (first === undefined) byRevision.set(node.revision, node);
    else {
      const files = seenAgain.get(node.revision);
      if (files) files.push(node.file);
      else seenAgain.set(node.revision, [first.file, node.file]);
    }
  }
  if (seenAgain.size === 0) return { byRevision, duplicates: seenAgain };
  const duplicates = new Map<string, string[]>();
  for (const revision of byRevision.keys()) {
    const files = seenAgain.get(revision);
    if (files) duplicates.set(revision, files);
  }
  return { byRevision, duplicates };
}

export class RevisionGraph {
  readonly size: number;
  readonly #nodes: Map<string, RevisionNode>;
  /** Deduplicated `revises`: `revises: ['a', 'a']` is one edge, not two. */
  readonly #parents: Map<string, string[]>;
  /** Children of each revision, in topological order. */
  readonly #children: Map<string, string[]>;
  readonly #order: string[];
  readonly #position: Map<string, number>;
  readonly #heads: string[];

  private constructor(nodes: Map<string, RevisionNode>, parents: Map<string, string[]>, order: string[]) {
    this.#nodes = nodes;
    this.#parents = parents;
    this.#order = order;
    this.size = order.length;
    this.#position = new Map(order.map((revision, index) => [revision, index]));
    this.#children = new Map(order.map((revision) => [revision, []]));
    // Filling children while walking in topological order keeps each list sorted.
    for (const revision of order) {
      for (const parent of parents.get(revision)!) this.#children.get(parent)!.push(revision);
    }
    this.#heads = order.filter((revision) => this.#children.get(revision)!.length === 0);
  }

  /**
   * Checks duplicates, then missing parents, then cycles, so the first error a
   * person sees is the one whose fix is local to a single file.
   */
  static build(nodes: RevisionNode[]): RevisionGraph {
    const { byRevision, duplicates } = byRevisionId(nodes);
    for (const [revision, files] of duplicates) {
      throw new IdemError('GRAPH_DUPLICATE', `revision "${revision}" is declared by ${files.length} files: ${files.join(', ')}`, {
        revision,
        data: { revision, files },
        hint: `give all but one of these files a new revision id (as \`idem new\` would generate one), or edit its \`revision\`; then check which \`revises\` meant which file`,
      });
    }

    const parents = new Map<string, string[]>();
    for (const node of byRevision.values()) {
      for (const parent of node.revises) {
        if (!byRevision.has(parent)) {
          throw new IdemError('GRAPH_MISSING_PARENT', `${node.file} revises "${parent}", which no migration declares`, {
            revision: node.revision,
            data: { revision: node.revision, missing: parent, file: node.file },
            hint: `restore the migration file that declares "${parent}", or fix \`revises\` in ${node.file} to name an existing revision id (see \`idem history\`; a git commit hash is not a revision id)`,
          });
        }
      }
      // A scanned file lists each parent once (migration-loader.ts checks): most need no Set.
      parents.set(node.revision, node.revises.length < 2 ? node.revises : [...new Set(node.revises)]);
    }

    return new RevisionGraph(byRevision, parents, topologicalOrder(byRevision, parents));
  }

  get(revision: string): RevisionNode | undefined {
    return this.#nodes.get(revision);
  }

  has(revision: string): boolean {
    return this.#nodes.has(revision);
  }

  /** Revisions nothing revises yet, in topological order. */
  heads(): string[] {
    return [...this.#heads];
  }

  /** Revisions that revise nothing, in topological order. */
  bases(): string[] {
    return this.#order.filter((revision) => this.#parents.get(revision)!.length === 0);
  }

  children(revision: string): string[] {
    return [...this.#children.get(this.#require(revision))!];
  }

  parents(revision: string): string[] {
    return [...this.#parents.get(this.#require(revision))!];
  }

  /** Parents before children; among revisions ready at once, the smallest file name first. */
  topoOrder(): string[] {
    return [...this.#order];
  }

  ancestors(revision: string, inclusive = true): Set<string> {
    return this.#reach(revision, this.#parents, inclusive);
  }

  descendants(revision: string, inclusive = true): Set<string> {
    return this.#reach(revision, this.#children, inclusive);
  }

  /** An exact id, a unique prefix of at least 4 characters, or `head`. */
  resolve(target: string): string {
    if (target === 'head') return this.#singleHead();
    if (this.#nodes.has(target)) return target;

    const candidates = target.length >= MIN_PREFIX ? this.#order.filter((revision) => revision.startsWith(target)) : [];
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length > 1) {
      throw new IdemError('GRAPH_UNKNOWN_TARGET', `"${target}" is ambiguous: it starts ${candidates.length} revisions: ${candidates.join(', ')}`, {
        data: { target, candidates },
        hint: 'type more characters of the revision id',
      });
    }
    const tooShort = target.length < MIN_PREFIX && target.length > 0 && this.#order.some((revision) => revision.startsWith(target));
    throw new IdemError('GRAPH_UNKNOWN_TARGET', `unknown revision "${target}"`, {
      data: { target, known: this.#order.slice(0, KNOWN_SAMPLE) },
      hint: tooShort
        ? `a revision prefix needs at least ${MIN_PREFIX} characters; run \`idem history\` to see revision ids`
        : 'run `idem history` to see revision ids',
    });
  }

  /**
   * Everything the targets need that is not applied, parents first. There is
   * no high-water mark: an old revision merged in from another branch is
   * applied even when newer revisions already are.
   */
  upPath(targets: string[], applied: ReadonlySet<string>): string[] {
    const needed = new Set<string>();
    for (const target of targets) {
      for (const revision of this.ancestors(target)) {
        if (!applied.has(revision)) needed.add(revision);
      }
    }
    return this.#inTopoOrder(needed);
  }

  /**
   * What to revert, in the order to revert it (children before parents).
   * `target` is a resolved revision id (revert what is applied above it),
   * `base` (revert everything) or `-N` (revert N current heads of the
   * database, one at a time). Applied revisions the graph does not know are
   * skipped; reporting them is the caller's job.
   */
  downPath(target: string, applied: ReadonlySet<string>, appliedOrder: string[] = []): string[] {
    const known = new Set([...applied].filter((revision) => this.#nodes.has(revision)));
    if (target === 'base') return this.#inTopoOrder(known).reverse();

    const steps = /^-(\d+)$/.exec(target);
    if (steps) return this.#stepsDown(target, Number(steps[1]), known, appliedOrder);

    const above = [...this.descendants(target, false)].filter((revision) => known.has(revision));
    return this.#inTopoOrder(new Set(above)).reverse();
  }

  /**
   * Each step reverts one applied revision with no applied descendants, the
   * one applied last (else latest in topological order). A counter per
   * revision of children that are applied or have applied descendants makes
   * the whole walk O(n + edges) instead of a fresh scan per step.
   */
  #stepsDown(target: string, count: number, known: Set<string>, appliedOrder: string[]): string[] {
    if (count < 1) {
      throw new IdemError('GRAPH_UNKNOWN_TARGET', `"${target}" is not a step count: use -1 or more`, {
        data: { target },
        hint: 'use `idem down -1` to revert the last migration, or `idem down base` to revert all',
      });
    }
    if (count > known.size) {
      throw new IdemError('GRAPH_UNKNOWN_TARGET', `cannot go down ${count} step${count === 1 ? '' : 's'}: only ${known.size} applied`, {
        data: { target, steps: count, applied: known.size },
        hint: known.size === 0 ? 'nothing is applied; run `idem status` to check the database' : `use \`idem down -${known.size}\` or \`idem down base\` to revert everything`,
      });
    }

    const appliedAt = new Map<string, number>();
    appliedOrder.forEach((revision, index) => appliedAt.set(revision, index));
    // Absent from appliedOrder counts as oldest; ties fall back to topological order.
    const later = (a: string, b: string): boolean => {
      const byApplied = (appliedAt.get(a) ?? -1) - (appliedAt.get(b) ?? -1);
      return byApplied !== 0 ? byApplied > 0 : this.#position.get(a)! > this.#position.get(b)!;
    };

    // live: applied, or has an applied descendant. liveChildren counts live children.
    const live = new Set<string>();
    const liveChildren = new Map<string, number>();
    for (let index = this.#order.length - 1; index >= 0; index--) {
      const revision = this.#order[index]!;
      let n = 0;
      for (const child of this.#children.get(revision)!) if (live.has(child)) n++;
      liveChildren.set(revision, n);
      if (n > 0 || known.has(revision)) live.add(revision);
    }

    const ready = new Heap<string>(later);
    for (const revision of known) if (liveChildren.get(revision) === 0) ready.push(revision);

    const path: string[] = [];
    while (path.length < count) {
      const revision = ready.pop()!;
      path.push(revision);
      known.delete(revision);
      // The reverted revision may have been the last live child of its parents.
      const stack = [revision];
      live.delete(revision);
      while (stack.length > 0) {
        const current = stack.pop()!;
        for (const parent of this.#parents.get(current)!) {
          const left = liveChildren.get(parent)! - 1;
          liveChildren.set(parent, left);
          if (left > 0) continue;
          if (known.has(parent)) ready.push(parent);
          else {
            live.delete(parent);
            stack.push(parent);
          }
        }
      }
    }
    return path;
  }

  #singleHead(): string {
    if (this.#heads.length === 1) return this.#heads[0]!;
    if (this.#heads.length === 0) {
      throw new IdemError('GRAPH_EMPTY', 'there are no migrations yet', {
        data: { target: 'head' },
        hint: 'run `idem new "<description>"` to create the first one',
      });
    }
    const heads = [...this.#heads];
    throw new IdemError('GRAPH_MULTIPLE_HEADS', `${heads.length} heads: ${heads.join(', ')}`, {
      data: { heads },
      hint: `run \`idem merge ${heads.join(' ')} -m "merge heads"\`, or \`idem up heads\` to apply every branch`,
    });
  }

  #require(revision: string): string {
    if (this.#nodes.has(revision)) return revision;
    throw new IdemError('GRAPH_UNKNOWN_TARGET', `unknown revision "${revision}"`, {
      data: { target: revision, known: this.#order.slice(0, KNOWN_SAMPLE) },
      hint: 'run `idem history` to see revision ids',
    });
  }

  #reach(start: string, edges: Map<string, string[]>, inclusive: boolean): Set<string> {
    const seen = new Set<string>([this.#require(start)]);
    const stack = [start];
    while (stack.length > 0) {
      for (const next of edges.get(stack.pop()!)!) {
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(next);
      }
    }
    if (!inclusive) seen.delete(start);
    return seen;
  }

  #inTopoOrder(revisions: Set<string>): string[] {
    return [...revisions].sort((a, b) => this.#position.get(a)! - this.#position.get(b)!);
  }
}

/**
 * Kahn's algorithm with a heap, so the order does not depend on the order the
 * files were read in. Whatever it cannot place lies on or below a cycle.
 */
function topologicalOrder(nodes: Map<string, RevisionNode>, parents: Map<string, string[]>): string[] {
  const children = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const [revision, ps] of parents) {
    waiting.set(revision, ps.length);
    for (const parent of ps) {
      const list = children.get(parent);
      if (list) list.push(revision);
      else children.set(parent, [revision]);
    }
  }

  const byFile = (a: string, b: string): boolean => {
    const fa = nodes.get(a)!.file;
    const fb = nodes.get(b)!.file;
    return fa !== fb ? fa < fb : a < b;
  };
  const ready = new Heap<string>(byFile);
  for (const [revision, n] of waiting) if (n === 0) ready.push(revision);

  const order: string[] = [];
  while (ready.size > 0) {
    const revision = ready.pop()!;
    order.push(revision);
    for (const child of children.get(revision) ?? []) {
      const left = waiting.get(child)! - 1;
      waiting.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  if (order.length < nodes.size) throw cycleError(nodes, parents, waiting);
  return order;
}

/**
 * Every unplaced revision still waits on an unplaced parent, so following
 * those parents from any of them must revisit one: that loop is a cycle.
 */
function cycleError(nodes: Map<string, RevisionNode>, parents: Map<string, string[]>, waiting: Map<string, number>): IdemError {
  const stuck = (revision: string): boolean => waiting.get(revision)! > 0;
  const start = [...nodes.keys()].filter(stuck).sort()[0]!;
  const walk: string[] = [];
  const at = new Map<string, number>();
  let current = start;
  while (!at.has(current)) {
    at.set(current, walk.length);
    walk.push(current);
    current = parents.get(current)!.find(stuck)!;
  }
  // The walk follows `revises`; reverse it so it reads parent -> child, like
  // the order migrations run in, then start at the smallest id for stable output.
  const loop = walk.slice(at.get(current)!).reverse();
  const first = loop.indexOf([...loop].sort()[0]!);
  const revisions = [...loop.slice(first), ...loop.slice(0, first)];
  const files = revisions.map((revision) => nodes.get(revision)!.file);
  return new IdemError('GRAPH_CYCLE', `revision cycle: ${[...revisions, revisions[0]].join(' -> ')}`, {
    data: { revisions, files },
    hint: `fix \`revises\` in one of ${files.join(', ')} so the chain leads back to a base revision`,
  });
}

/** A binary heap; `before(a, b)` says a comes out first. */
class Heap<T> {
  readonly #items: T[] = [];
  readonly #before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.#before(items[i]!, items[up]!)) break;
      [items[i], items[up]] = [items[up]!, items[i]!];
      i = up;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < items.length && this.#before(items[l]!, items[best]!)) best = l;
      if (r < items.length && this.#before(items[r]!, items[best]!)) best = r;
      if (best === i) return top;
      [items[i], items[best]] = [items[best]!, items[i]!];
      i = best;
    }
  }
}
