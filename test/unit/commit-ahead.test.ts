/**
 * CommitAhead (src/runner/commit-ahead.ts): while a migration's COMMIT is in
 * flight, what the run reports is held; the migration is reported as soon
 * as the answer says it committed, then what was held; a failed answer drops
 * what was held and names the migration to go back to.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommitAhead, CommitAheadFailed } from '../../src/runner/commit-ahead.ts';
import type { IdemEvent } from '../../src/runner/events.ts';

const warning = (message: string): IdemEvent => ({ event: 'warning', code: 'TEST', message });
const messages = (events: IdemEvent[]) => events.map((e) => (e.event === 'warning' ? e.message : e.event));

function answer<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('CommitAhead', () => {
  test('holds what is reported while a commit is in flight, and lets it out, in order, once it committed', async () => {
    const out: IdemEvent[] = [];
    const ahead = new CommitAhead((e) => out.push(e));
    ahead.emit(warning('before'));
    const commit = answer<void>();
    ahead.sent(0, commit.promise, () => ahead.emit(warning('a committed')));
    ahead.emit(warning('b begins'));
    assert.deepEqual(messages(out), ['before'], 'b\'s line waits for a');
    commit.resolve();
    await ahead.settle();
    assert.deepEqual(messages(out), ['before', 'a committed', 'b begins']);
    ahead.emit(warning('b goes on'));
    assert.deepEqual(messages(out).at(-1), 'b goes on', 'nothing in flight: out at once');
  });

  test('lets the held lines out when the answer comes, without waiting for settle()', async () => {
    const out: IdemEvent[] = [];
    const ahead = new CommitAhead((e) => out.push(e));
    const commit = answer<void>();
    ahead.sent(3, commit.promise, () => ahead.emit(warning('a committed')));
    ahead.emit(warning('b waits in its own code'));
    commit.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(messages(out), ['a committed', 'b waits in its own code']);
  });

  test('a failed commit drops what was held and says which migration to go back to', async () => {
    const out: IdemEvent[] = [];
    const ahead = new CommitAhead((e) => out.push(e));
    const commit = answer<void>();
    let reported = false;
    ahead.sent(4, commit.promise, () => { reported = true; });
    ahead.emit(warning('b begins'));
    commit.reject(new Error('duplicate key'));
    await assert.rejects(ahead.settle(), (error: unknown) =>
      error instanceof CommitAheadFailed && error.index === 4 && (error.cause as Error).message === 'duplicate key');
    assert.equal(reported, false);
    assert.deepEqual(out, []);
    await ahead.settle(); // settled: nothing more to throw
  });

  test('a sink that throws while reporting a commit fails the next settle(), as emitting would have', async () => {
    const ahead = new CommitAhead(() => { throw new Error('the caller\'s onEvent failed'); });
    const commit = answer<void>();
    ahead.sent(0, commit.promise, () => ahead.emit(warning('a committed')));
    commit.resolve();
    await assert.rejects(ahead.settle(), /the caller's onEvent failed/);
    await ahead.settle();
  });
});
