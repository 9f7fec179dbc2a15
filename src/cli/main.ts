/**
 * The `idem` command. Parses arguments (commander), calls src/api, prints
 * events through render.ts and exits with a documented code. Nothing here
 * decides what happens to the database.
 */
import { Command, CommanderError, Option } from 'commander';
import type { IdemOptions } from '../api/config.ts';
import type { Project } from '../api/project.ts';
import { IdemError, isIdemError } from '../errors.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { createOutput, forTerminal, type Output } from './render.ts';
import { limitYoungGeneration } from './heap-tuning.ts';
import { writeStderr } from './stdout-batch.ts';

interface GlobalFlags {
  url?: string;
  dir?: string;
  json?: boolean;
  strict?: boolean;
  quiet?: boolean;
  lockTimeout?: string;
  lockLease?: string;
  wait?: string;
}

/*
 * Each command imports its API module when it runs: `idem up` on every start
 * must not pay for loading plan, schema, the authoring tools or listings.
 */
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
    .option('--lock-lease <seconds>', 'on a Galera cluster: how long the run lock outlives a killed runner\'s last heartbeat (default 15)')
    .option('--wait <seconds>', 'keep retrying this long while the database cannot be reached (it may still be starting)')
    .showHelpAfterError()
    // Under --json a usage mistake is reported as an error event (see main), not as commander's text.
    // As typed, commander echoes what it did not understand: masked and escaped as every human line is (render.ts).
    .configureOutput(json ? { writeErr: () => {}, outputError: () => {} } : { writeErr: (text) => process.stderr.write(forTerminal(text)) })
    .exitOverride();

  program.command('new')
    .description('write a new migration revising the current head(s); with several heads it joins them')
    .argument('<description>', 'what the migration does, e.g. "add groups"')
    .action((description: string) => run(async (flags, out) => {
      const { newMigration } = await import('../api/author.ts');
      const written = await newMigration({ ...common(flags), description });
      out.record({ event: 'new', ...written });
      out.line(`created ${written.path} (revision ${written.revision}${written.revises.length ? `, revises ${written.revises.join(', ')}` : ''})`);
      if (written.revises.length > 1) out.line(`  it revises ${written.revises.length} heads, so it also merges them`);
      return EXIT.ok;
    }));

  withFleetOptions(program.command('up')
    .description('apply pending migrations up to the target (default: the single head; `heads`: every branch)')
    .argument('[target]', 'a revision, `head` or `heads`')
    .option('--reapply <revisions>', 'run applied migrations again after the pending ones: a revision, a unique prefix or a comma list; repeatable',
      (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--reapply-changed', 'run again every applied migration whose file changed since it was applied'))
    .action((target: string | undefined, opts: { reapply: string[]; reapplyChanged?: boolean } & FleetCliOptions) => run(async (flags, out) => {
      const { up } = await import('../api/up.ts');
      const what = {
        ...(target ? { target } : {}),
        ...(opts.reapply.length > 0 ? { reapply: opts.reapply } : {}), ...(opts.reapplyChanged ? { reapplyChanged: true } : {}),
      };
      if (opts.targets) {
        return fleet(flags, opts, common(flags, out), out, (o, project) => up({ ...o, ...what }, project), (r) =>
          r.migrations.length === 0 ? 'nothing to do' : `${r.migrations.length} migration(s), ${r.applied} applied, ${r.skipped} skipped, ${r.drift} drift`);
      }
      await up({ ...common(flags, out), ...what });
      return EXIT.ok;
    }));

  program.command('down')
    .description('revert migrations: `-1` (one step), a revision (everything after it), or `base` (all)')
    .argument('<target>', '-1, -N, a revision, or base')
    .allowUnknownOption(false)
    .action((target: string) => run(async (flags, out) => {
      const { down } = await import('../api/down.ts');
      await down({ ...common(flags, out), target });
      return EXIT.ok;
    }));

  withFleetOptions(program.command('status')
    .description('applied, pending, unknown and edited revisions'))
    .action((opts: FleetCliOptions) => run(async (flags, out) => {
      const [{ status }, { printStatus }] = await Promise.all([import('../api/status.ts'), import('./listings.ts')]);
      if (opts.targets) {
        return fleet(flags, opts, common(flags, out), out, (o, project) => status(o, project), (r) => [
          `${r.applied.length} applied, ${r.pending.length} pending`,
          ...(r.unknown.length ? [`${r.unknown.length} unknown to the code (${r.unknown.join(', ')})`] : []),
          ...(r.edited.length ? [`${r.edited.length} edited since applied (${r.edited.join(', ')})`] : []),
        ].join(', '));
      }
      return printStatus(await status(common(flags)), out);
    }));

  program.command('history')
    .description('every revision in graph order, marked applied or pending')
    .action(() => run(async (flags, out) => {
      const [{ status }, { printHistory }] = await Promise.all([import('../api/status.ts'), import('./listings.ts')]);
      return printHistory(await status(common(flags)), out);
    }));

  program.command('heads')
    .description('the revisions nothing revises yet')
    .action(() => run(async (flags, out) => {
      const [{ status }, { printHeads }] = await Promise.all([import('../api/status.ts'), import('./listings.ts')]);
      return printHeads(await status(common(flags)), out);
    }));

  program.command('stamp')
    .description('record a revision (and its ancestors) as applied without running it; `base` removes every record')
    .argument('<revision>', 'a revision or base')
    .action((revision: string) => run(async (flags, out) => {
      const { stamp } = await import('../api/stamp.ts');
      await stamp({ ...common(flags, out), revision });
      return EXIT.ok;
    }));

  program.command('merge')
    .description('write a migration that revises several heads, joining the branches')
    .argument('<revisions...>', 'the heads to merge')
    .requiredOption('-m, --message <description>', 'what the merge is')
    .action((revisions: string[], opts: { message: string }) => run(async (flags, out) => {
      const { merge } = await import('../api/author.ts');
      const written = await merge({ ...common(flags), revisions, description: opts.message });
      out.record({ event: 'merge', ...written });
      out.line(`created ${written.path} (revision ${written.revision}, merges ${written.revises.join(', ')})`);
      return EXIT.ok;
    }));

  withFleetOptions(program.command('plan')
    .description('what `up` (or `down`, with --down) would do now, operation by operation, changing nothing')
    .argument('[target]', 'for up: a revision, `head` or `heads`')
    .option('--down <target>', 'plan `down` instead: -1, -N, a revision, or base'))
    .action((target: string | undefined, opts: { down?: string } & FleetCliOptions) => run(async (flags, out) => {
      const { plan } = await import('../api/plan.ts');
      const what = { ...(target ? { target } : {}), ...(opts.down !== undefined ? { down: opts.down } : {}) };
      if (opts.targets) {
        return fleet(flags, opts, common(flags, out), out, (o, project) => plan({ ...o, ...what }, project), (r) =>
          r.migrations.length === 0 ? 'nothing to do' : `${r.migrations.length} migration(s), ${r.applied} would apply, ${r.skipped} would skip, ${r.drift} drift`);
      }
      const result = await plan({ ...common(flags, out), ...what });
      // Under --strict a predicted drift fails the plan as it would fail the run.
      return flags.strict && result.drift > 0 ? EXIT.strict : EXIT.ok;
    }));

  program.command('schema')
    .description('the live schema, normalized, with its sha256 fingerprint (idem\'s own tables excluded)')
    .action(() => run(async (flags, out) => {
      const [{ schema }, { printSchema }] = await Promise.all([import('../api/schema.ts'), import('./schema-listing.ts')]);
      return printSchema(await schema(common(flags)), out);
    }));

  withFleetOptions(program.command('doctor')
    .description('why won\'t my deploy migrate? connection, migrations, version table, revisions, edits, interrupted migrations, lock and drift, each with its fix'))
    .action((opts: FleetCliOptions) => run(async (flags, out) => {
      const [{ doctor, doctorVerdict }, { printDoctor }] = await Promise.all([import('../api/doctor.ts'), import('./doctor-listing.ts')]);
      if (opts.targets) {
        // A target fails where `idem up` would fail on it; its line names the first finding that would stop it.
        return fleet(flags, opts, common(flags, out), out, async (o, project) => doctorVerdict(await doctor(o, project)), (r) => r.summary);
      }
      return printDoctor(await doctor(common(flags, out)), out);
    }));

  program.command('verify')
    .description('prove the migrations idempotent and reversible on a temporary database, never yours: each one up, up again, down, down again, up; then adoption')
    .option('--scratch <url>', 'server to create the temporary database on (postgres://…, mysql://…, mariadb://…); else IDEM_VERIFY_URL, '
      + 'else the server of --url when it is one, else a temporary SQLite file')
    .action((opts: { scratch?: string }) => run(async (flags, out) => {
      const { verify } = await import('../api/verify.ts');
      const { printVerifyDone, verifyPrinter } = await import('./verify-listing.ts');
      const result = await verify({
        ...common(flags, out), ...(opts.scratch !== undefined ? { verifyUrl: opts.scratch } : {}), onProgress: verifyPrinter(out, flags.quiet === true),
      });
      printVerifyDone(result, out);
      return EXIT.ok;
    }));

  program.command('lint')
    .description('read the migrations and report, with file and line, what is unsafe to re-run or revert; no database needed')
    .option('--dialect <engine>', 'lint for this engine (sqlite, postgres, mysql, mariadb) instead of the one the URL names')
    .option('--max-warnings <n>', 'also fail (exit 1) when there are more warnings than this')
    .action((opts: { dialect?: string; maxWarnings?: string }) => run(async (flags, out) => {
      const maxWarnings = opts.maxWarnings === undefined ? undefined : Number(opts.maxWarnings);
      if (maxWarnings !== undefined && !(Number.isInteger(maxWarnings) && maxWarnings >= 0)) {
        throw new IdemError('USAGE', `--max-warnings must be a whole number of 0 or more (got ${opts.maxWarnings})`, { hint: 'e.g. --max-warnings 0' });
      }
      const [{ lint }, { printLint }] = await Promise.all([import('../api/lint.ts'), import('./lint-listing.ts')]);
      const dialect = opts.dialect as import('../api/lint.ts').LintDialect | undefined;
      const result = await lint({ ...common(flags), ...(dialect !== undefined ? { dialect } : {}) });
      return printLint(result, out, maxWarnings !== undefined ? { maxWarnings } : {});
    }));

  // `idem down -1`: a negative number is a target, not an option.
  program.commands.find((c) => c.name() === 'down')!.configureHelp({});
  return program;
}

interface FleetCliOptions {
  targets?: string;
  concurrency?: string;
  failFast?: boolean;
}

/** The options that turn up, status, plan and doctor into a fleet run (one database per line of a file). */
function withFleetOptions(command: Command): Command {
  return command
    .option('--targets <file>', 'run on every database URL listed in this file, one per line (# comments allowed)')
    .option('--concurrency <n>', 'with --targets: how many databases at once (default 4)')
    .option('--fail-fast', 'with --targets: start no further database after one fails');
}

async function fleet<R>(flags: GlobalFlags, opts: FleetCliOptions, options: IdemOptions, out: Output,
  command: (options: IdemOptions, project: Project) => Promise<R>, describe: (result: R) => string): Promise<number> {
  if (flags.url) throw new IdemError('USAGE', '--url and --targets cannot be used together', { hint: 'list every database in the --targets file' });
  const { runFleetCommand } = await import('./fleet-command.ts');
  const { url: _url, ...rest } = options;
  return runFleetCommand({
    targets: opts.targets!, ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    ...(opts.failFast ? { failFast: true } : {}), ...(flags.json ? { json: true } : {}),
  }, rest, out, command, describe);
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
  writeStderr(`idem: ${signal} received, stopping after the current operation (send it again to exit at once)\n`);
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
  if (flags.lockLease !== undefined) {
    const seconds = Number(flags.lockLease);
    if (!Number.isFinite(seconds) || seconds < 1) {
      throw new IdemError('USAGE', `--lock-lease must be a number of seconds, at least 1 (got ${flags.lockLease})`, { hint: 'e.g. --lock-lease 15' });
    }
    options.lockLease = seconds;
  }
  if (flags.wait !== undefined) {
    const seconds = Number(flags.wait);
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new IdemError('USAGE', `--wait must be a number of seconds (got ${flags.wait})`, { hint: 'e.g. --wait 30' });
    }
    options.wait = seconds;
  }
  if (out) {
    options.onEvent = (e) => {
      if (e.event === 'begin') void limitYoungGeneration();
      out.event(e);
    };
  }
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
