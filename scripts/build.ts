/**
 * `npm run build`: dist/ as the package ships it.
 *
 * The JavaScript is one esbuild bundle with two entry points, the library
 * (dist/index.js) and the CLI (dist/cli/bin.js), sharing their chunks: one
 * copy of every class, so an IdemError is the same class whichever way it
 * was loaded. Bundled, `idem up` with nothing to do loads a handful of files
 * instead of sixty (measured in bench/results.md); each command's own code
 * stays in its own chunk, loaded when the command runs.
 *
 * tsc still checks the sources and writes the declarations (dist/*.d.ts).
 * The database drivers stay outside: they are the user's peer dependencies,
 * at the versions the user installed.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--emitDeclarationOnly'], { stdio: 'inherit' });

await build({
  absWorkingDir: root,
  entryPoints: { index: 'src/index.ts', 'cli/bin': 'src/cli/bin.ts' },
  outdir: dist,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22.18',
  packages: 'bundle',
  external: ['pg', 'mysql2', 'mysql2/*'],
  // commander is CommonJS: its require('node:events') needs a real require in an ES module.
  banner: { js: "import { createRequire as __idemCreateRequire } from 'node:module';\nconst require = __idemCreateRequire(import.meta.url);" },
  // Not minified: names and lines stay readable in a stack trace a user pastes into an issue.
  minify: false,
  legalComments: 'inline',
  logLevel: 'warning',
});
