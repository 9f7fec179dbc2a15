/** What a migration threw, as text, whatever it threw: never a second throw (which would read as a bug in idem). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCause, describeThrown } from '../../src/errors.ts';

test('describeThrown: errors, strings, objects with and without a string form', () => {
  assert.equal(describeThrown(new TypeError('bad')), 'bad');
  assert.equal(describeThrown('plain text'), 'plain text');
  assert.equal(describeThrown(42), '42');
  assert.equal(describeThrown(undefined), 'undefined');
  assert.equal(describeThrown({ message: 'shaped like an error' }), 'shaped like an error');
  assert.equal(describeThrown(Object.create(null)), 'a non-Error value {}');
  const hostile = { toString() { throw new Error('no'); }, toJSON() { throw new Error('no'); } };
  assert.equal(describeThrown(hostile), 'a non-Error object that cannot be shown as text');
  assert.equal(describeCause(Object.create(null)), 'a non-Error value {}');
});
