/**
 * The `idem` command. Parses arguments (commander), calls src/api, prints
 * events through render.ts and exits with a documented code. Nothing here
 * decides what happens to the database.
 */
import { Command, CommanderError, Option } from 'commander';
import { merge, newMigration } from '../api/author.ts';
import type { IdemOptions } from '../api/config.ts';
import { down } from '../api/down.ts';
import { plan } from '../api/plan.ts';
import { schema } from '../api/schema.ts';
import { stamp } from '../api/stamp.ts';
import { status } from '../api/status.ts';
import { up } from '../api/up.ts';
import { IdemError, isIdemError } from '../errors.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { createOutput, type Output } from './render.ts';
import { printHeads, printHistory, printStatus } from './listings.ts';
import { printSchema } from './schema-listing.ts';

interface GlobalFlags {
  url?: string;
  dir?: string;
  json?: boolean;
  strict?: boolean;
  quiet?: boolean;
  lockTimeout?: string;
  wait?: string;
}

function buildProgram(run: (action: (flags: GlobalFlags, out: Output) => Promise<number>) => Promise<void>, json: boolean): Command {
  const program = new Command('idem')
    .description('Idempotent database migrations: safe to run on every start, from every replica.')
    .version('0.1.0')
    .addOption(new Option('--url <url>', 'database URL: sqlite:<path>, postgres://…, mysql://…, mariadb://… (else DATABASE_URL, else idem.config.*, else sqlite:./idem.db)'))
    .option('--dir <folder>', 'migrations folder', undefined)
    .option('--json', 'one JSON object per line, for machines')
    .option('--strict', 'drift, edited migrations and a database ahead of the code are errors')
    .option('--quiet', 'print only warnings, drift and errors')
    .option('--lock-timeout <seconds>', 'how long to wait for another runner (default 60)')
    .option('--wait <seconds>', 'keep retrying this long while the database cannot be reached (it may still be starting)')
    .showHelpAfterError()
    // Under --json a usage mistake is reported as an error event (see main), not as commander's text.
    .configureOutput(json ? { writeErr: () => {}, outputError: () => {} } : {})
    .exitOverride();

  program.command('new')
    .description('write a new migration revising the current head(s); with several heads it joins them')
    .argument('<description>', 'what the migration does, e.g. "add groups"')
    .action((description: string) => run(async (flags, out) => {
      const written = await newMigration({ ...common(flags), description });
      out.record({ event: 'new', ...written });
      out.line(`created ${written.path} (revision ${written.revision}${written.revises.length ? `, revises ${written.revises.join(', ')}` : ''})`);
      if (written.revises.length > 1) out.line(`  it revises ${written.revises.length} heads, so it also merges them`);
      return EXIT.ok;
    }));

  program.command('up')
    .description('apply pending migrations up to the target (default: the single head; `heads`: every branch)')
    .argument('[target]', 'a revision, `head` or `heads`')
    .action((target: string | undefined) => run(async (flags, out) => {
      await up({ ...common(flags, out), ...(target ? { target } : {}) });
      return EXIT.ok;
    }));

  program.command('down')
    .description('revert migrations: `-1` (one step), a revision (everything after it), or `base` (all)')
    .argument('<target>', '-1, -N, a revision, or base')
    .allowUnknownOption(false)
    .action((target: string) => run(async (flags, out) => {
      await down({ ...common(flags, out), target });
      return EXIT.ok;
    }));

  program.command('status')
    .description('applied, pending, unknown and edited revisions')
    .action(() => run(async (flags, out) => printStatus(await status(common(flags)), out)));

  program.command('history')
    .description('every revision in graph order, marked applied or pending')
    .action(() => run(async (flags, out) => printHistory(await status(common(flags)), out)));

  program.command('heads')
    .description('the revisions nothing revises yet')
    .action(() => run(async (flags, out) => printHeads(await status(common(flags)), out)));

  program.command('stamp')
    .description('record a revision (and its ancestors) as applied without running it; `base` removes every record')
    .argument('<revision>', 'a revision or base')
    .action((revision: string) => run(async (flags, out) => {
      await stamp({ ...common(flags, out), revision });
      return EXIT.ok;
    }));

  program.command('merge')
    .description('write a migration that revises several heads, joining the branches')
    .argument('<revisions...>', 'the heads to merge')
    .requiredOption('-m, --message <description>', 'what the merge is')
    .action((revisions: string[], opts: { message: string }) => run(async (flags, out) => {
      const written = await merge({ ...common(flags), revisions, description: opts.message });
      out.record({ event: 'merge', ...written });
      out.line(`created ${written.path} (revision ${written.revision}, merges ${written.revises.join(', ')})`);
      return EXIT.ok;
    }));

  program.command('plan')
    .description('what `up` (or `down`, with --down) would do now, operation by operation, changing nothing')
    .argument('[target]', 'for up: a revision, `head` or `heads`')
    .option('--down <target>', 'plan `down` instead: -1, -N, a revision, or base')
    .action((target: string | undefined, opts: { down?: string }) => run(async (flags, out) => {
      const result = await plan({ ...common(flags, out), ...(target ? { target } : {}), ...(opts.down !== undefined ? { down: opts.down } : {}) });
      // Under --strict a predicted drift fails the plan as it would fail the run.
      return flags.strict && result.drift > 0 ? EXIT.strict : EXIT.ok;
    }));

  program.command('schema')
    .description('the live schema, normalized, with its sha256 fingerprint (idem\'s own tables excluded)')
    .action(() => run(async (flags, out) => printSchema(await schema(common(flags)), out)));

  // `idem down -1`: a negative number is a target, not an option.
  program.commands.find((c) => c.name() === 'down')!.configureHelp({});
  return program;
}

/**
 * SIGINT/SIGTERM (Ctrl-C, `docker stop`, a Kubernetes rollout): the first one
 * stops the run before its next operation, rolling the current migration back
 * where the engine can and releasing the lock, then exits 130. A second one
 * exits at once; the database session dies with the process, so the lock and
 * any open transaction still go with it.
 */
const interruption = new AbortController();
let signalsSeen = 0;

function onSignal(signal: NodeJS.Signals): void {
  signalsSeen++;
  if (signalsSeen > 1) process.exit(EXIT.interrupted);
  process.stderr.write(`idem: ${signal} received, stopping after the current operation (send it again to exit at once)\n`);
  interruption.abort(signal);
}

function common(flags: GlobalFlags, out?: Output): IdemOptions {
  const options: IdemOptions = { signal: interruption.signal };
  if (flags.url) options.url = flags.url;
  if (flags.dir) options.dir = flags.dir;
  if (flags.strict) options.strict = true;
  if (flags.lockTimeout !== undefined) {
    const seconds = Number(flags.lockTimeout);
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new IdemError('USAGE', `--lock-timeout must be a number of seconds (got ${flags.lockTimeout})`, { hint: 'e.g. --lock-timeout 120' });
    }
    options.lockTimeoutMs = seconds * 1000;
  }
  if (flags.wait !== undefined) {
    const seconds = Number(flags.wait);
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new IdemError('USAGE', `--wait must be a number of seconds (got ${flags.wait})`, { hint: 'e.g. --wait 30' });
    }
    options.wait = seconds;
  }
  if (out) options.onEvent = (e) => out.event(e);
  return options;
}

export async function main(argv: string[]): Promise<number> {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let exitCode: number = EXIT.ok;
  const json = argv.includes('--json');
  let output: Output = createOutput({ json, quiet: argv.includes('--quiet') });
  const program = buildProgram(async (action) => {
    const flags = program.opts<GlobalFlags>();
    output = createOutput({ json: flags.json === true, quiet: flags.quiet === true });
    try {
      exitCode = await action(flags, output);
    } catch (error) {
      exitCode = report(error, output);
    }
  }, json);
  try {
    await program.parseAsync(normalizeArgs(argv), { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; a usage mistake has been printed by commander, except under --json.
      if (error.exitCode === 0) return EXIT.ok;
      if (json) {
        const message = error.code === 'commander.help' ? 'no command given' : error.message.replace(/^error: /, '');
        output.error(new IdemError('USAGE', message, { hint: 'run `idem --help` (or `idem <command> --help`) for usage' }));
      }
      return EXIT.usage;
    }
    return report(error, output);
  }
  return exitCode;
}

/** `idem down -1`: commander would read `-1` as an unknown option. */
function normalizeArgs(argv: string[]): string[] {
  const at = argv.indexOf('down');
  if (at >= 0 && /^-\d+$/.test(argv[at + 1] ?? '')) return [...argv.slice(0, at + 1), '--', ...argv.slice(at + 1)];
  return argv;
}

function report(error: unknown, output: Output): number {
  if (isIdemError(error)) {
    output.error(error);
    return exitCodeFor(error.code);
  }
  const internal = new IdemError('INTERNAL', `unexpected error: ${(error as Error)?.stack ?? String(error)}`);
  output.error(internal);
  return EXIT.internal;
}
