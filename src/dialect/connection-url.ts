/**
 * Connection URLs: `sqlite:<path>`, `sqlite::memory:`, `postgres://…`,
 * `mysql://…`, `mariadb://…`. Parsing never echoes a password: every message
 * and every event shows the URL through `maskUrl` (src/secrets.ts).
 */
import { isAbsolute, resolve } from 'node:path';
import { IdemError } from '../errors.ts';
import { encodingAdvice, maskUrl, unencodedInPassword } from '../secrets.ts';
import type { DialectName } from './dialect.ts';

export { maskUrl };

export type ConnectionTarget =
  | { dialect: 'sqlite'; path: string; url: string }
  | { dialect: 'postgres' | 'mysql'; url: string; variant: 'postgres' | 'mysql' | 'mariadb' };

export function parseConnectionUrl(url: string, cwd: string = process.cwd()): ConnectionTarget {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new IdemError('URL_INVALID', 'the database URL is empty', { hint: 'pass --url sqlite:./app.db, postgres://…, mysql://… or mariadb://…' });
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite' || scheme === 'file') {
    let path = url.slice(scheme.length + 1);
    if (path.startsWith('//')) path = path.slice(2); // sqlite://./app.db and sqlite:///abs/path
    path = path.split('?')[0] ?? '';
    if (path === '') {
      throw new IdemError('URL_INVALID', `the SQLite URL ${maskUrl(url)} names no file`, { hint: 'write it as sqlite:./app.db or sqlite::memory:' });
    }
    if (path === ':memory:') return { dialect: 'sqlite', path, url };
    return { dialect: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path), url };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') return serverTarget(url, 'postgres', 'postgres');
  if (scheme === 'mysql') return serverTarget(url, 'mysql', 'mysql');
  if (scheme === 'mariadb') return serverTarget(url, 'mysql', 'mariadb');
  throw new IdemError('URL_INVALID', `unknown database URL scheme${scheme ? ` "${scheme}:"` : ''} in ${maskUrl(url)}`, {
    hint: 'use sqlite:<path>, postgres://user@host/db, mysql://user@host/db or mariadb://user@host/db',
  });
}

function serverTarget(url: string, dialect: 'postgres' | 'mysql', variant: 'postgres' | 'mysql' | 'mariadb'): ConnectionTarget {
  // Before any parser reads it: an unencoded `#` would send the connection to a host that is half the password.
  const unencoded = unencodedInPassword(url);
  if (unencoded.length > 0) {
    throw new IdemError('URL_INVALID', `the password in the database URL ${maskUrl(url)} holds ${unencoded.map((c) => `"${c}"`).join(', ')} unencoded, `
      + 'so the URL does not read as written (the host would be a piece of the password)', { hint: encodingAdvice(unencoded) });
  }
  try {
    new URL(url);
  } catch {
    throw new IdemError('URL_INVALID', `the database URL ${maskUrl(url)} is not a valid URL`, {
      hint: `write it as ${variant}://user:<password>@host:port/database (${encodingAdvice(['@', '#', '/', '?', ' '])})`,
    });
  }
  return { dialect, url, variant };
}

export function dialectOf(target: ConnectionTarget): DialectName {
  return target.dialect;
}
