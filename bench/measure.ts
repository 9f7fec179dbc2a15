/**
 * One timed run of a whole process: wall time from spawn to exit, as a
 * deploy script sees it, and the process's peak resident memory as
 * GNU time reports it (`/usr/bin/time -f %M`, the "Maximum resident set
 * size" of `time -v`). Every tool runs under the same wrapper, so its few
 * hundred microseconds cancel out of the ratios.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Invocation } from './tools/tool.ts';

const GNU_TIME = '/usr/bin/time';

/** Process groups running now, so an interrupted bench stops them too (they are detached). */
const running = new Set<number>();

export function stopRunningProcesses(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export interface Measurement {
  ms: number;
  /** Peak resident set size in MB; null where GNU time is not installed. */
  peakMb: number | null;
  stdout: string;
}

/** A command line as the bench prints it: passwords in URLs masked, since results.md is committed. */
export function describeInvocation(invocation: Invocation): string {
  return maskPasswords([invocation.command, ...invocation.args].join(' '));
}

export function maskPasswords(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
}

export class RunFailed extends Error {
  constructor(invocation: Invocation, code: number | null, stderr: string, stdout: string) {
    const output = (stderr.trim() || stdout.trim()).split('\n').slice(-15).join('\n');
    super(`${describeInvocation(invocation)} exited ${code}:\n${maskPasswords(output)}`);
  }
}

/** The process exited 0 but did not do the work: its output or the database says otherwise. */
export class WrongOutcome extends Error {
  constructor(invocation: Invocation, problem: string) {
    super(`${describeInvocation(invocation)} exited 0, but ${maskPasswords(problem)}`);
  }
}

/** The process ran past the bench's limit and was killed: a lower bound, not a time. */
export class RunTimedOut extends Error {
  readonly limitMs: number;
  constructor(invocation: Invocation, limitMs: number) {
    super(`${describeInvocation(invocation)} ran past ${limitMs / 1000} s and was stopped`);
    this.limitMs = limitMs;
  }
}

export function peakMemoryAvailable(): boolean {
  return existsSync(GNU_TIME);
}

export async function measure(invocation: Invocation, cwd: string, limitMs: number): Promise<Measurement> {
  const withTime = peakMemoryAvailable();
  const scratch = withTime ? await mkdtemp(join(tmpdir(), 'idem-bench-time-')) : undefined;
  const timeFile = scratch ? join(scratch, 'rss') : undefined;
  const [command, args] = timeFile
    ? [GNU_TIME, ['-f', '%M', '-o', timeFile, invocation.command, ...invocation.args]]
    : [invocation.command, invocation.args];
  try {
    const started = performance.now();
    const { code, stdout, stderr, timedOut } = await run(command, args, cwd, invocation.env, limitMs);
    const ms = performance.now() - started;
    if (timedOut) throw new RunTimedOut(invocation, limitMs);
    if (code !== 0) throw new RunFailed(invocation, code, stderr, stdout);
    const peakKb = timeFile ? Number((await readFile(timeFile, 'utf8')).trim().split('\n').pop()) : NaN;
    return { ms, peakMb: Number.isFinite(peakKb) ? peakKb / 1024 : null, stdout };
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> | undefined, limitMs: number)
  : Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolvePromise, reject) => {
    // Its own process group, so a run past the limit is stopped with everything it started.
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid !== undefined) running.add(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // It ended meanwhile.
      }
    }, limitMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (child.pid !== undefined) running.delete(child.pid);
      resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}
