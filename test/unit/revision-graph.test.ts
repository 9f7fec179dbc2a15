import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IdemError } from '../../src/errors.ts';
import type { RevisionNode } from '../../src/graph/revision-graph.ts';
import { RevisionGraph } from '../../src/graph/revision-graph.ts';

/** `node('b', ['a'])` revises a; files sort in declaration order by default. */
function node(revision: string, revises: string[] = [], file = `${revision}.ts`): RevisionNode {
  return { revision, revises, description: `desc ${revision}`, file };
}

/** Asserts fn throws an IdemError with this code and returns it for further checks. */
function thrown(fn: () => unknown, code: string): IdemError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof IdemError, `expected IdemError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code} to be thrown`);
}

// a <- b <- c
const chain = () => RevisionGraph.build([node('c', ['b'], '003_c.ts'), node('a', [], '001_a.ts'), node('b', ['a'], '002_b.ts')]);

//        / b1 - b2 \
// root -            merge - after
//        \ x1 -----/
const branched = () =>
  RevisionGraph.build([
    node('root', [], '001.ts'),
    node('b1', ['root'], '002.ts'),
    node('x1', ['root'], '003.ts'),
    node('b2', ['b1'], '004.ts'),
    node('merge', ['b2', 'x1'], '005.ts'),
    node('after', ['merge'], '006.ts'),
  ]);

// base -> left, base -> right: two heads
const forked = () =>
  RevisionGraph.build([node('base0001', [], '001.ts'), node('left0001', ['base0001'], '002.ts'), node('right001', ['base0001'], '003.ts')]);

describe('RevisionGraph: linear chain', () => {
  it('orders parents first whatever the input order', () => {
    const g = chain();
    assert.equal(g.size, 3);
    assert.deepEqual(g.topoOrder(), ['a', 'b', 'c']);
    assert.deepEqual(g.heads(), ['c']);
    assert.deepEqual(g.bases(), ['a']);
    assert.deepEqual(g.children('a'), ['b']);
    assert.deepEqual(g.children('c'), []);
    assert.equal(g.get('b')?.file, '002_b.ts');
    assert.equal(g.get('zzz'), undefined);
    assert.equal(g.has('a'), true);
    assert.equal(g.has('d'), false);
  });

  it('ancestors and descendants, inclusive by default', () => {
    const g = chain();
    assert.deepEqual([...g.ancestors('c')].sort(), ['a', 'b', 'c']);
    assert.deepEqual([...g.ancestors('c', false)].sort(), ['a', 'b']);
    assert.deepEqual([...g.descendants('a')].sort(), ['a', 'b', 'c']);
    assert.deepEqual([...g.descendants('b', false)], ['c']);
  });

  it('upPath applies what is missing, in order', () => {
    const g = chain();
    assert.deepEqual(g.upPath(['c'], new Set()), ['a', 'b', 'c']);
    assert.deepEqual(g.upPath(['c'], new Set(['a'])), ['b', 'c']);
    assert.deepEqual(g.upPath(['b'], new Set()), ['a', 'b']);
    assert.deepEqual(g.upPath(['c'], new Set(['a', 'b', 'c'])), []);
  });

  it('resolve head to the single head', () => {
    assert.equal(chain().resolve('head'), 'c');
  });

  it('an empty node list is an empty graph', () => {
    const g = RevisionGraph.build([]);
    assert.equal(g.size, 0);
    assert.deepEqual(g.topoOrder(), []);
    assert.deepEqual(g.heads(), []);
    assert.deepEqual(g.upPath([], new Set()), []);
    const error = thrown(() => g.resolve('head'), 'GRAPH_EMPTY');
    assert.match(error.hint ?? '', /idem new "<description>"/);
  });
});

describe('RevisionGraph: branches and merges', () => {
  it('topoOrder picks the smallest file among ready revisions', () => {
    const g = branched();
    assert.deepEqual(g.topoOrder(), ['root', 'b1', 'x1', 'b2', 'merge', 'after']);
    // Renaming files changes the tie-break, not the constraints.
    const swapped = RevisionGraph.build([
      node('root', [], '001.ts'),
      node('b1', ['root'], '009.ts'),
      node('x1', ['root'], '003.ts'),
      node('b2', ['b1'], '004.ts'),
      node('merge', ['b2', 'x1'], '005.ts'),
      node('after', ['merge'], '006.ts'),
    ]);
    assert.deepEqual(swapped.topoOrder(), ['root', 'x1', 'b1', 'b2', 'merge', 'after']);
  });

  it('heads, bases, children', () => {
    const g = branched();
    assert.deepEqual(g.heads(), ['after']);
    assert.deepEqual(g.bases(), ['root']);
    assert.deepEqual(g.children('root'), ['b1', 'x1']);
    assert.deepEqual(g.children('x1'), ['merge']);
    assert.deepEqual([...g.ancestors('merge')].sort(), ['b1', 'b2', 'merge', 'root', 'x1']);
    assert.deepEqual([...g.descendants('x1', false)].sort(), ['after', 'merge']);
  });

  it('two heads come out in topological order', () => {
    const g = forked();
    assert.deepEqual(g.heads(), ['left0001', 'right001']);
  });

  it('upPath with several targets (idem up heads)', () => {
    const g = forked();
    assert.deepEqual(g.upPath(g.heads(), new Set()), ['base0001', 'left0001', 'right001']);
    assert.deepEqual(g.upPath(g.heads(), new Set(['base0001', 'left0001'])), ['right001']);
    assert.deepEqual(g.upPath(['left0001', 'left0001'], new Set()), ['base0001', 'left0001']);
  });

  it('upPath includes an old unapplied ancestor merged in from another branch', () => {
    const g = branched();
    // The database followed the b-branch all the way; x1 came in via the merge.
    const applied = new Set(['root', 'b1', 'b2']);
    assert.deepEqual(g.upPath(['after'], applied), ['x1', 'merge', 'after']);
    // Even if newer revisions are applied, a missing older ancestor is not skipped.
    assert.deepEqual(g.upPath(['after'], new Set(['root', 'b1', 'b2', 'merge', 'after'])), ['x1']);
  });

  it('upPath rejects an unknown target', () => {
    const error = thrown(() => branched().upPath(['nope'], new Set()), 'GRAPH_UNKNOWN_TARGET');
    assert.equal(error.data?.['target'], 'nope');
  });

  it('a repeated parent in revises is one edge', () => {
    const g = RevisionGraph.build([node('a'), node('b', ['a', 'a'])]);
    assert.deepEqual(g.children('a'), ['b']);
    assert.deepEqual(g.downPath('-1', new Set(['a', 'b'])), ['b']);
    assert.deepEqual(g.downPath('-2', new Set(['a', 'b'])), ['b', 'a']);
  });
});

describe('RevisionGraph: build errors', () => {
  it('duplicate revisions name every file', () => {
    const error = thrown(
      () => RevisionGraph.build([node('a', [], '001_a.ts'), node('b', ['a']), node('a', [], '007_other.ts')]),
      'GRAPH_DUPLICATE',
    );
    assert.deepEqual(error.data, { revision: 'a', files: ['001_a.ts', '007_other.ts'] });
    assert.equal(error.revision, 'a');
    assert.match(error.message, /001_a\.ts, 007_other\.ts/);
    assert.match(error.hint ?? '', /idem new/);
  });

  it('of several duplicated ids, the one whose first file comes first is reported, with every file of it', () => {
    const error = thrown(() => RevisionGraph.build([
      node('x', [], '1_x.ts'), node('y', ['x'], '2_y.ts'), node('y', ['x'], '3_y.ts'), node('x', [], '4_x.ts'), node('x', [], '5_x.ts'),
    ]), 'GRAPH_DUPLICATE');
    assert.deepEqual(error.data, { revision: 'x', files: ['1_x.ts', '4_x.ts', '5_x.ts'] });
  });

  it('duplicates are reported before missing parents and cycles', () => {
    const error = thrown(() => RevisionGraph.build([node('a', ['a']), node('b', ['ghost']), node('a')]), 'GRAPH_DUPLICATE');
    assert.equal(error.data?.['revision'], 'a');
  });

  it('missing parent names the file and the missing id', () => {
    const error = thrown(
      () => RevisionGraph.build([node('a', [], '001_a.ts'), node('b', ['a', '3f2c9e1'], '002_b.ts')]),
      'GRAPH_MISSING_PARENT',
    );
    assert.deepEqual(error.data, { revision: 'b', missing: '3f2c9e1', file: '002_b.ts' });
    assert.match(error.message, /002_b\.ts/);
    assert.match(error.message, /3f2c9e1/);
    assert.match(error.hint ?? '', /restore/);
    assert.match(error.hint ?? '', /git commit hash is not a revision id/);
  });

  it('missing parents are reported before cycles', () => {
    const error = thrown(() => RevisionGraph.build([node('a', ['b']), node('b', ['a']), node('c', ['ghost'])]), 'GRAPH_MISSING_PARENT');
    assert.equal(error.data?.['missing'], 'ghost');
  });

  it('a 2-node cycle lists its members', () => {
    const error = thrown(() => RevisionGraph.build([node('root'), node('a', ['b']), node('b', ['a'])]), 'GRAPH_CYCLE');
    assert.deepEqual(error.data?.['revisions'], ['a', 'b']);
    assert.deepEqual(error.data?.['files'], ['a.ts', 'b.ts']);
    assert.match(error.message, /a -> b -> a/);
  });

  it('a 3-node cycle reads parent -> child and excludes revisions hanging off it', () => {
    // c revises b revises a revises c; d hangs below the cycle, root is fine.
    const error = thrown(
      () => RevisionGraph.build([node('root'), node('d', ['a']), node('c', ['b']), node('b', ['a']), node('a', ['c', 'root'])]),
      'GRAPH_CYCLE',
    );
    assert.deepEqual(error.data?.['revisions'], ['a', 'b', 'c']);
    assert.match(error.message, /a -> b -> c -> a/);
  });

  it('a revision revising itself is a cycle', () => {
    const error = thrown(() => RevisionGraph.build([node('a'), node('self', ['a', 'self'])]), 'GRAPH_CYCLE');
    assert.deepEqual(error.data?.['revisions'], ['self']);
    assert.match(error.message, /self -> self/);
  });
});

describe('RevisionGraph: resolve', () => {
  it('several heads: resolve(head) fails with the heads and the merge hint', () => {
    const error = thrown(() => forked().resolve('head'), 'GRAPH_MULTIPLE_HEADS');
    assert.deepEqual(error.data, { heads: ['left0001', 'right001'] });
    assert.equal(error.message, '2 heads: left0001, right001');
    assert.equal(error.hint, 'run `idem merge left0001 right001 -m "merge heads"`, or `idem up heads` to apply every branch');
  });

  it('exact ids and unique prefixes of 4+ characters', () => {
    const g = RevisionGraph.build([node('ab12cd34'), node('ab12ff00', ['ab12cd34']), node('9f8e7d6c', ['ab12ff00'])]);
    assert.equal(g.resolve('ab12cd34'), 'ab12cd34');
    assert.equal(g.resolve('9f8e'), '9f8e7d6c');
    assert.equal(g.resolve('ab12c'), 'ab12cd34');
    assert.equal(g.resolve('head'), '9f8e7d6c');
  });

  it('prefixes shorter than 4 characters are not resolved', () => {
    const g = RevisionGraph.build([node('9f8e7d6c')]);
    const error = thrown(() => g.resolve('9f8'), 'GRAPH_UNKNOWN_TARGET');
    assert.equal(error.data?.['target'], '9f8');
    assert.match(error.hint ?? '', /at least 4 characters/);
  });

  it('an ambiguous prefix lists the candidates', () => {
    const g = RevisionGraph.build([node('ab12cd34'), node('ab12ff00', ['ab12cd34'])]);
    const error = thrown(() => g.resolve('ab12'), 'GRAPH_UNKNOWN_TARGET');
    assert.deepEqual(error.data, { target: 'ab12', candidates: ['ab12cd34', 'ab12ff00'] });
    assert.match(error.message, /ab12cd34, ab12ff00/);
  });

  it('an unknown target suggests idem history and shows a few ids', () => {
    const g = RevisionGraph.build(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'].map((r, i) => node(r, i === 0 ? [] : [`r${i}`])));
    const error = thrown(() => g.resolve('deadbeef'), 'GRAPH_UNKNOWN_TARGET');
    assert.deepEqual(error.data, { target: 'deadbeef', known: ['r1', 'r2', 'r3', 'r4', 'r5'] });
    assert.match(error.hint ?? '', /idem history/);
    assert.match(error.message, /deadbeef/);
  });
});

describe('RevisionGraph: downPath', () => {
  const all = new Set(['root', 'b1', 'x1', 'b2', 'merge', 'after']);

  it('to a revision: applied descendants, children first', () => {
    const g = branched();
    assert.deepEqual(g.downPath('b1', all), ['after', 'merge', 'b2']);
    assert.deepEqual(g.downPath('root', all), ['after', 'merge', 'b2', 'x1', 'b1']);
    assert.deepEqual(g.downPath('x1', all), ['after', 'merge']);
    assert.deepEqual(g.downPath('after', all), []);
    // Only what is applied: x1 was never applied.
    assert.deepEqual(g.downPath('root', new Set(['root', 'b1', 'b2'])), ['b2', 'b1']);
  });

  it('to base: everything applied, children first; unknown ids ignored', () => {
    assert.deepEqual(branched().downPath('base', all), ['after', 'merge', 'b2', 'x1', 'b1', 'root']);
    const g = chain();
    assert.deepEqual(g.downPath('base', new Set(['a', 'b', 'c', 'not-in-graph'])), ['c', 'b', 'a']);
    assert.deepEqual(g.downPath('base', new Set(['a'])), ['a']);
    assert.deepEqual(g.downPath('base', new Set()), []);
  });

  it('the keyword base wins over a revision named base', () => {
    const g = RevisionGraph.build([node('base'), node('next', ['base'])]);
    assert.deepEqual(g.downPath('base', new Set(['base', 'next'])), ['next', 'base']);
  });

  it('-1 and -2 on a chain', () => {
    const g = chain();
    const applied = new Set(['a', 'b', 'c']);
    assert.deepEqual(g.downPath('-1', applied), ['c']);
    assert.deepEqual(g.downPath('-2', applied), ['c', 'b']);
    assert.deepEqual(g.downPath('-3', applied), ['c', 'b', 'a']);
    // The input set is not modified.
    assert.equal(applied.size, 3);
  });

  it('-N with two branches follows appliedOrder', () => {
    const g = forked();
    const applied = new Set(['base0001', 'left0001', 'right001']);
    // right was applied last: it goes first.
    assert.deepEqual(g.downPath('-1', applied, ['base0001', 'right001', 'left0001']), ['left0001']);
    assert.deepEqual(g.downPath('-1', applied, ['base0001', 'left0001', 'right001']), ['right001']);
    assert.deepEqual(g.downPath('-2', applied, ['base0001', 'right001', 'left0001']), ['left0001', 'right001']);
    // base has applied descendants until both branches are gone.
    assert.deepEqual(g.downPath('-3', applied, ['base0001', 'right001', 'left0001']), ['left0001', 'right001', 'base0001']);
  });

  it('-N without appliedOrder takes the latest in topological order', () => {
    const g = forked();
    const applied = new Set(['base0001', 'left0001', 'right001']);
    assert.deepEqual(g.downPath('-1', applied), ['right001']);
    assert.deepEqual(g.downPath('-2', applied), ['right001', 'left0001']);
  });

  it('-N never reverts a revision whose applied descendant would stay behind', () => {
    const g = branched();
    // x1 applied last, but merge and after depend on it.
    const order = ['root', 'b1', 'b2', 'merge', 'after', 'x1'];
    assert.deepEqual(g.downPath('-1', all, order), ['after']);
    assert.deepEqual(g.downPath('-2', all, order), ['after', 'merge']);
    // With merge and after gone, x1 (applied last) goes before b2.
    assert.deepEqual(g.downPath('-3', all, order), ['after', 'merge', 'x1']);
    // A gap: merge not applied, but after is; b2 and x1 wait for after.
    const gappy = new Set(['root', 'b1', 'x1', 'b2', 'after']);
    assert.deepEqual(g.downPath('-1', gappy, ['root', 'b1', 'b2', 'x1', 'after']), ['after']);
    assert.deepEqual(g.downPath('-2', gappy, ['root', 'b1', 'after', 'b2', 'x1']), ['after', 'x1']);
  });

  it('-N counts only revisions the graph knows', () => {
    const g = chain();
    assert.deepEqual(g.downPath('-1', new Set(['a', 'b', 'ghost']), ['a', 'b', 'ghost']), ['b']);
    const error = thrown(() => g.downPath('-3', new Set(['a', 'b', 'ghost'])), 'GRAPH_UNKNOWN_TARGET');
    assert.equal(error.message, 'cannot go down 3 steps: only 2 applied');
  });

  it('-N too far fails with the counts', () => {
    const g = chain();
    const error = thrown(() => g.downPath('-4', new Set(['a', 'b', 'c'])), 'GRAPH_UNKNOWN_TARGET');
    assert.equal(error.message, 'cannot go down 4 steps: only 3 applied');
    assert.deepEqual(error.data, { target: '-4', steps: 4, applied: 3 });
    assert.ok(error.hint);
    thrown(() => g.downPath('-1', new Set()), 'GRAPH_UNKNOWN_TARGET');
    thrown(() => g.downPath('-0', new Set(['a'])), 'GRAPH_UNKNOWN_TARGET');
  });

  it('an unknown revision target fails', () => {
    thrown(() => chain().downPath('nope', new Set(['a'])), 'GRAPH_UNKNOWN_TARGET');
  });
});

describe('RevisionGraph: scale', () => {
  it('a 5000-node chain builds and walks without recursion', () => {
    const n = 5000;
    const id = (i: number) => `r${String(i).padStart(5, '0')}`;
    // Shuffled input: order must come from the edges, not the array.
    const nodes = Array.from({ length: n }, (_, i) => node(id(i), i === 0 ? [] : [id(i - 1)], `${id(i)}.ts`)).reverse();
    const started = performance.now();
    const g = RevisionGraph.build(nodes);
    assert.equal(g.size, n);
    assert.equal(g.resolve('head'), id(n - 1));
    const up = g.upPath([id(n - 1)], new Set());
    assert.equal(up.length, n);
    assert.equal(up[0], id(0));
    assert.equal(up[n - 1], id(n - 1));
    assert.equal(g.ancestors(id(n - 1)).size, n);
    const applied = new Set(up);
    const down = g.downPath('base', applied);
    assert.equal(down[0], id(n - 1));
    assert.equal(down.length, n);
    const steps = g.downPath(`-${n}`, applied, up);
    assert.deepEqual(steps, down);
    assert.deepEqual(g.downPath(id(n - 3), applied), [id(n - 1), id(n - 2)]);
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  });

  it('a 5000-node cycle is detected without recursion', () => {
    const n = 5000;
    const nodes = Array.from({ length: n }, (_, i) => node(`c${i}`, [`c${(i + n - 1) % n}`]));
    const error = thrown(() => RevisionGraph.build(nodes), 'GRAPH_CYCLE');
    assert.equal((error.data?.['revisions'] as string[]).length, n);
  });
});
