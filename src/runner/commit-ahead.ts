/**
 * A migration's COMMIT the runner does not wait for
 * (TransactionControl.sendThenCommit): the next migration's own code runs,
 * and its operations are judged and compiled, while the server commits the
 * one before. Nothing of the next migration reaches the server before that
 * answer (the session waits for it before it sends anything). What the run
 * reports meanwhile is held back, so the output keeps its order: a migration
 * is reported done only once it committed, and the next one's lines follow.
 */
import type { EventSink, IdemEvent } from './events.ts';

/** The commit of migration `index` (of the run's steps) failed; the run goes back to it. */
export class CommitAheadFailed extends Error {
  readonly index: number;

  constructor(index: number, cause: unknown) {
    super(`the commit of step ${index} failed`, { cause });
    this.index = index;
  }
}

export class CommitAhead {
  readonly #emit: EventSink;
  #pending: { index: number; answer: Promise<unknown> } | undefined;
  #held: IdemEvent[] = [];
  /** Reporting a commit threw (the caller's event sink did): settle() throws it, as emitting would have. */
  #reportFailed: { error: unknown } | undefined;

  constructor(emit: EventSink) {
    this.#emit = emit;
  }

  /** The run's event sink: events go out at once, or are held while a commit is in flight. */
  readonly emit: EventSink = (event) => {
    if (this.#pending === undefined) this.#emit(event);
    else this.#held.push(event);
  };

  /**
   * Migration `index` was sent with its COMMIT. Once the answer says it
   * committed, it is reported (`committed`) and what was held goes out: a
   * migration that waits in its own code does not hold back the lines before.
   */
  sent(index: number, answer: Promise<unknown>, committed: () => void): void {
    if (this.#pending !== undefined) throw new Error('a second commit ahead while one is in flight');
    const pending = { index, answer };
    this.#pending = pending;
    answer.then(() => {
      if (this.#pending !== pending) return;
      this.#pending = undefined;
      const held = this.#held;
      this.#held = [];
      try {
        committed();
        for (const event of held) this.#emit(event);
      } catch (error) {
        this.#reportFailed = { error };
      }
    }, () => undefined); // a failure is settle()'s to report
  }

  /**
   * Waits for the commit in flight, if any. Committed: it is reported by
   * now, with what was held. Failed: what was held is dropped (none of it
   * reached the server) and CommitAheadFailed is thrown.
   */
  async settle(): Promise<void> {
    const pending = this.#pending;
    if (pending !== undefined) {
      try {
        await pending.answer;
      } catch (error) {
        this.#pending = undefined;
        this.#held = [];
        throw new CommitAheadFailed(pending.index, error);
      }
    }
    const failed = this.#reportFailed;
    this.#reportFailed = undefined;
    if (failed !== undefined) throw failed.error;
  }
}
