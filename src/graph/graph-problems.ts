/**
 * Every problem of a revision graph at once, as data. `RevisionGraph.build`
 * stops at the first one, which is right before running migrations; a
 * linter should name them all: each duplicate id, each missing parent, each
 * cycle, and several heads. Pure, like the graph.
 */
import { byRevisionId, type RevisionNode } from './revision-graph.ts';

export type GraphProblem =
  | { kind: 'duplicate'; revision: string; files: string[] }
  | { kind: 'missing-parent'; revision: string; missing: string; file: string }
  | { kind: 'cycle'; revisions: string[]; files: string[] }
  | { kind: 'several-heads'; heads: string[]; files: string[] };

export function graphProblems(nodes: readonly RevisionNode[]): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const { byRevision, duplicates } = byRevisionId(nodes);
  for (const [revision, files] of duplicates) problems.push({ kind: 'duplicate', revision, files });

  // Edges to revisions that exist; a missing parent is reported and then left out.
  const parents = new Map<string, string[]>();
  for (const node of byRevision.values()) {
    const known: string[] = [];
    for (const parent of new Set(node.revises)) {
      if (byRevision.has(parent)) known.push(parent);
      else problems.push({ kind: 'missing-parent', revision: node.revision, missing: parent, file: node.file });
    }
    parents.set(node.revision, known);
  }

  for (const loop of cycles(parents)) {
    problems.push({ kind: 'cycle', revisions: loop, files: loop.map((r) => byRevision.get(r)!.file) });
  }

  const revised = new Set([...parents.values()].flat());
  const heads = [...byRevision.keys()].filter((r) => !revised.has(r)).sort((a, b) => compareFiles(byRevision, a, b));
  if (heads.length > 1) problems.push({ kind: 'several-heads', heads, files: heads.map((r) => byRevision.get(r)!.file) });
  return problems;
}

/**
 * One loop per strongly connected component that has one (Tarjan's
 * algorithm, iterative: a long chain must not overflow the stack). Each loop
 * reads parent -> child, the order migrations run in, starting at its
 * smallest id, as RevisionGraph's own cycle error does.
 */
function cycles(parents: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const root of [...parents.keys()].sort()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work.at(-1)!;
      const edges = parents.get(frame.node)!;
      if (frame.next < edges.length) {
        const next = edges[frame.next++]!;
        if (!index.has(next)) {
          index.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          work.push({ node: next, next: 0 });
        } else if (onStack.has(next)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(next)!));
        }
        continue;
      }
      work.pop();
      const parentFrame = work.at(-1);
      if (parentFrame) low.set(parentFrame.node, Math.min(low.get(parentFrame.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = component.length === 1 && edges.includes(frame.node);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components.map((component) => loopThrough(component, parents)).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/** A loop inside one component: follow parents within it from its smallest id until one repeats. */
function loopThrough(component: string[], parents: Map<string, string[]>): string[] {
  const members = new Set(component);
  const walk: string[] = [];
  const at = new Map<string, number>();
  let current = [...component].sort()[0]!;
  while (!at.has(current)) {
    at.set(current, walk.length);
    walk.push(current);
    current = parents.get(current)!.find((p) => members.has(p))!;
  }
  const loop = walk.slice(at.get(current)!).reverse();
  const first = loop.indexOf([...loop].sort()[0]!);
  return [...loop.slice(first), ...loop.slice(0, first)];
}

function compareFiles(nodes: Map<string, RevisionNode>, a: string, b: string): number {
  const fa = nodes.get(a)!.file;
  const fb = nodes.get(b)!.file;
  return fa !== fb ? (fa < fb ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0;
}
