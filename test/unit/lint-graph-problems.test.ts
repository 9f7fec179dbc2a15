/**
 * Every graph problem at once, with its files: what `idem lint` reports where
 * `RevisionGraph.build` stops at the first.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { graphProblems } from '../../src/graph/graph-problems.ts';
import type { RevisionNode } from '../../src/graph/revision-graph.ts';

function node(revision: string, revises: string[] = [], file = `${revision}.ts`): RevisionNode {
  return { revision, revises, description: '', file };
}

describe('lint: graphProblems', () => {
  test('a sound graph (with a merge) has none', () => {
    assert.deepEqual(graphProblems([node('a'), node('b', ['a']), node('c', ['a']), node('m', ['b', 'c'])]), []);
    assert.deepEqual(graphProblems([]), []);
  });

  test('several heads, in file order, with their files', () => {
    assert.deepEqual(graphProblems([node('base', [], '1.ts'), node('zeta', ['base'], '2.ts'), node('alpha', ['base'], '3.ts')]), [
      { kind: 'several-heads', heads: ['zeta', 'alpha'], files: ['2.ts', '3.ts'] },
    ]);
  });

  test('each duplicate id and each missing parent, not only the first', () => {
    const problems = graphProblems([
      node('a', [], '1.ts'), node('b', ['a'], '3.ts'), node('b', ['a'], '4.ts'), node('a', [], '2.ts'),
      node('c', ['b', '3f9a1c2b7d4e'], '5.ts'), node('d', ['c', 'gone'], '6.ts'),
    ]);
    assert.deepEqual(problems, [
      { kind: 'duplicate', revision: 'a', files: ['1.ts', '2.ts'] },
      { kind: 'duplicate', revision: 'b', files: ['3.ts', '4.ts'] },
      { kind: 'missing-parent', revision: 'c', missing: '3f9a1c2b7d4e', file: '5.ts' },
      { kind: 'missing-parent', revision: 'd', missing: 'gone', file: '6.ts' },
    ]);
  });

  test('every cycle, each read parent -> child from its smallest id; a self-reference is one too', () => {
    const problems = graphProblems([
      node('root'), node('r1', ['r3']), node('r2', ['r1']), node('r3', ['r2']),
      node('x2', ['x1']), node('x1', ['x2']), node('self', ['self']),
    ]);
    assert.deepEqual(problems, [
      { kind: 'cycle', revisions: ['r1', 'r2', 'r3'], files: ['r1.ts', 'r2.ts', 'r3.ts'] },
      { kind: 'cycle', revisions: ['self'], files: ['self.ts'] },
      { kind: 'cycle', revisions: ['x1', 'x2'], files: ['x1.ts', 'x2.ts'] },
    ]);
  });

  test('a cycle hanging below a sound root leaves that root the single head', () => {
    const problems = graphProblems([node('r0'), node('a', ['r0', 'c']), node('b', ['a']), node('c', ['b'])]);
    assert.deepEqual(problems.map((p) => p.kind), ['cycle']);
  });

  test('a 20,000-long chain ending in a cycle does not overflow the stack', () => {
    const nodes = [node('n0', ['n19999'])];
    for (let i = 1; i < 20_000; i++) nodes.push(node(`n${i}`, [`n${i - 1}`]));
    const [problem] = graphProblems(nodes);
    assert.equal(problem?.kind, 'cycle');
    assert.equal(problem.kind === 'cycle' ? problem.revisions.length : 0, 20_000);
  });
});
