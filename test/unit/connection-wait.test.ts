import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectWithWait, isTransientConnectionError } from '../../src/api/connection-wait.ts';
import { IdemError } from '../../src/errors.ts';
import type { IdemEvent } from '../../src/runner/events.ts';

const refused = () => new IdemError('CONNECTION', 'cannot reach db: connection refused', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), hint: 'start it' });
const denied = () => new IdemError('CONNECTION', 'access denied', { data: { reason: 'access-denied' }, hint: 'check the password' });

describe('connectWithWait', () => {
  it('retries refused connections with growing delays until one succeeds, saying so each time', async () => {
    const sleeps: number[] = [];
    const events: IdemEvent[] = [];
    let calls = 0;
    const result = await connectWithWait(async () => {
      calls++;
      if (calls < 4) throw refused();
      return 'session';
    }, { waitMs: 60_000, emit: (e) => events.push(e), sleep: async (ms) => { sleeps.push(ms); } });
    assert.equal(result, 'session');
    assert.deepEqual(sleeps, [250, 500, 1000]);
    assert.deepEqual(events.map((e) => e.event === 'warning' && e.code), ['WAITING', 'WAITING', 'WAITING']);
  });

  it('never retries what waiting cannot fix (bad credentials, unknown database)', async () => {
    let calls = 0;
    await assert.rejects(connectWithWait(async () => { calls++; throw denied(); }, { waitMs: 60_000, emit: () => {}, sleep: async () => {} }),
      { code: 'CONNECTION', message: 'access denied' });
    assert.equal(calls, 1);
  });

  it('without --wait, fails at once with the original error', async () => {
    let calls = 0;
    await assert.rejects(connectWithWait(async () => { calls++; throw refused(); }, { waitMs: 0, emit: () => {} }), { message: 'cannot reach db: connection refused' });
    assert.equal(calls, 1);
  });

  it('past the deadline, fails saying how long it waited and how often it tried', async () => {
    await assert.rejects(connectWithWait(async () => { throw refused(); }, { waitMs: 300, emit: () => {} }),
      (e: IdemError) => e.code === 'CONNECTION' && /still failing after waiting \ds \(2 attempts\)/.test(e.message) && e.hint === 'start it');
  });

  it('tells transient causes from lasting ones', () => {
    assert.equal(isTransientConnectionError(refused()), true);
    assert.equal(isTransientConnectionError(new IdemError('CONNECTION', 'x', { data: { reason: 'timeout' } })), true);
    assert.equal(isTransientConnectionError(denied()), false);
    assert.equal(isTransientConnectionError(new IdemError('CONFIG', 'x')), false);
    assert.equal(isTransientConnectionError(new Error('ECONNREFUSED')), false);
  });
});
