#!/usr/bin/env node
/**
 * The `idem` executable. It checks the Node.js version before anything
 * imports `node:sqlite` or a TypeScript migration, so an old Node gets one
 * clear line instead of a module-loading stack trace.
 */
const REQUIRED = [22, 18] as const;
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

if (major < REQUIRED[0] || (major === REQUIRED[0] && minor < REQUIRED[1])) {
  process.stderr.write(
    `error: idem needs Node.js ${REQUIRED.join('.')} or newer (for node:sqlite and TypeScript migrations); this is ${process.version}\n`
    + '  hint:  install Node.js 24 LTS (e.g. `npm install --prefix ~/.node24 node@24`, then put ~/.node24/node_modules/.bin on PATH)\n',
  );
  process.exitCode = 2;
} else {
  // V8's compiled code for idem's modules (and the migrations) is kept on disk, in the OS temp
  // directory: a start-up that loads the same files as the last one skips compiling them. Where
  // that directory cannot be written (a read-only container) it is silently not used;
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  (await import('node:module')).enableCompileCache?.();
  // `idem status | head`: a reader that stops early is not an error; stop writing and keep the exit code.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit();
      throw error;
    });
  }
  const { main } = await import('./main.ts');
  const { EXIT } = await import('./exit-codes.ts');
  process.exitCode = await main(process.argv.slice(2));
  // Interrupted: the migration's own code may still hold a timer or a handle; the rollback and the
  // lock release are done, so nothing is left to wait for but the output.
  if (process.exitCode === EXIT.interrupted) {
    await (await import('./stdout-batch.ts')).drainStdout();
    process.exit(EXIT.interrupted);
  }
}
