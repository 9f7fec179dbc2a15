/**
 * `idem --json up` as a child process, SIGKILLed (no cleanup, no signal
 * handler) at a chosen point: right after a given operation of a given
 * migration has been reported (the migration waits there through the pause
 * hook of chain-files.ts, so the kill lands exactly there and the case
 * replays), or after a delay from the start (anywhere: inside a statement,
 * between a migration's last operation and its version row, during commit).
 */
import { spawn } from 'node:child_process';
import { PAUSE_ENV } from './chain-files.ts';
import { CLI, runCli, type CliResult, type TestProject } from './project.ts';

/**
 * The CLI these runs use: the built one, or IDEM_FUZZ_CLI (scripts/fuzz.sh
 * builds a private copy, so a rebuild of dist/ by someone else during a long
 * fuzz run cannot hand it half-written modules).
 */
export const CLI_UNDER_TEST = process.env.IDEM_FUZZ_CLI || CLI;

/** `idem --json up` on the project's database, run to the end. */
export function up(p: TestProject): Promise<CliResult> {
  return runCli(['--url', p.url, '--json', 'up'], p.dir, {}, CLI_UNDER_TEST);
}

export type KillPoint =
  | { after: { revision: string; operations: number } }
  | { delayMs: number };

export interface KilledRun {
  /** False when the run ended by itself first (a delay longer than the run). */
  killed: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** `revision op target outcome` of each operation reported before the kill. */
  reported: string[];
}

export function describeKill(kill: KillPoint): string {
  return 'after' in kill ? `after operation ${kill.after.operations} of ${kill.after.revision}` : `${kill.delayMs} ms after start`;
}

/** Runs `up` and kills it at `kill`; a run that neither reaches the point nor ends within `watchdogMs` is killed and rejected. */
export function upKilledAt(p: TestProject, kill: KillPoint, watchdogMs = 120_000): Promise<KilledRun> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '' };
    if ('after' in kill) env[PAUSE_ENV] = `${kill.after.revision}:${kill.after.operations}`;
    else delete env[PAUSE_ENV];
    const child = spawn(process.execPath, [CLI_UNDER_TEST, '--url', p.url, '--json', 'up'], { cwd: p.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const killNow = () => {
      if (!killed && child.exitCode === null && child.signalCode === null) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    const timer = 'delayMs' in kill ? setTimeout(killNow, kill.delayMs) : undefined;
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`idem up neither reached the kill point (${describeKill(kill)}) nor ended in ${watchdogMs} ms:\n${stdout}${stderr}`));
    }, watchdogMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if ('after' in kill) {
        const done = reportedOps(stdout).filter((line) => line.startsWith(`${kill.after.revision} `)).length;
        if (done >= kill.after.operations) killNow();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(watchdog);
      resolve({ killed, code, stdout, stderr, reported: reportedOps(stdout) });
    });
  });
}

/** The op events among complete JSON lines. */
function reportedOps(stdout: string): string[] {
  const lines = stdout.split('\n');
  lines.pop(); // the last piece is incomplete until its newline arrives
  return lines.filter((l) => l.includes('"event":"op"')).map((l) => {
    const e = JSON.parse(l) as Record<string, unknown>;
    return `${String(e.revision)} ${String(e.op)} ${String(e.target)} ${String(e.outcome)}`;
  });
}
