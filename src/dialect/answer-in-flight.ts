/**
 * A message a driver sent without waiting for its answer (a transaction's
 * closing message: TransactionControl.sendThenCommit). Whatever the driver
 * sends next waits for that answer first (answered()); what to keep of a
 * failure is the driver's own business, recorded before the answer settles.
 */
export class AnswerInFlight {
  #pending: Promise<void> | undefined;

  /** Whether an answer is still awaited. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /** Tracks `answer` until it settles, either way; returns it unchanged. */
  track<T>(answer: Promise<T>): Promise<T> {
    const settle = () => {
      if (this.#pending === settled) this.#pending = undefined;
    };
    const settled: Promise<void> = answer.then(settle, settle);
    this.#pending = settled;
    return answer;
  }

  /** Resolves once no answer is awaited any more; never rejects. */
  async answered(): Promise<void> {
    while (this.#pending !== undefined) await this.#pending;
  }
}
