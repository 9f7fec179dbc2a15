/**
 * src/secrets.ts without a database: where the password of each spelling is,
 * what the mask leaves, which URLs are refused for an unencoded character,
 * and URLs found in free text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskUrl, maskUrlsIn, passwordsOf, unencodedInPassword } from '../../src/secrets.ts';

const CASES: Array<{ url: string; masked: string; unencoded: string[] }> = [
  { url: 'postgres://postgres:p@ss#word9@host/db', masked: 'postgres://postgres:***@host/db', unencoded: ['#'] },
  { url: 'postgres://u:pa/ss@host:5432/db', masked: 'postgres://u:***@host:5432/db', unencoded: ['/'] },
  { url: 'mysql://u:pa?ss@host/db', masked: 'mysql://u:***@host/db', unencoded: ['?'] },
  { url: 'mariadb://u:p%zz@host/db', masked: 'mariadb://u:***@host/db', unencoded: ['%'] },
  { url: 'postgres://u:p@ss@host/db', masked: 'postgres://u:***@host/db', unencoded: [] },
  { url: 'postgres://u:pa:ss@host/db', masked: 'postgres://u:***@host/db', unencoded: [] },
  { url: 'postgres://u:pa ss@host/db', masked: 'postgres://u:***@host/db', unencoded: [] },
  { url: 'POSTGRESQL://u:p%40ss%23w@[::1]:5432/db', masked: 'POSTGRESQL://u:***@[::1]:5432/db', unencoded: [] },
  { url: 'postgres://:secret@/db?host=/tmp', masked: 'postgres://:***@/db?host=/tmp', unencoded: [] },
  { url: 'mariadb://root:s3cr3t@h1:3306,h2:3306/db', masked: 'mariadb://root:***@h1:3306,h2:3306/db', unencoded: [] },
  { url: 'postgres://u@host/db', masked: 'postgres://u@host/db', unencoded: [] },
  { url: 'postgres://host/db?user=u&password=p@ss#x', masked: 'postgres://host/db?user=u&password=***', unencoded: ['#'] },
  { url: 'postgres://host/db?password=a b&user=u', masked: 'postgres://host/db?password=***&user=u', unencoded: [] },
  { url: 'postgres://u:p@ss@h:1/db?application_name=me@laptop', masked: 'postgres://u:***@h:1/db?application_name=me@laptop', unencoded: [] },
  // No user info but an `@` in the query: masked as if it were (hiding more), never refused.
  { url: 'postgres://host:5432/db?application_name=me@laptop', masked: 'postgres://host:***@laptop', unencoded: [] },
  { url: 'sqlite:./app.db?password=x1y2', masked: 'sqlite:./app.db?password=***', unencoded: [] },
];

for (const c of CASES) {
  test(`maskUrl and unencodedInPassword: ${c.url}`, () => {
    assert.equal(maskUrl(c.url), c.masked);
    assert.deepEqual(unencodedInPassword(c.url), c.unencoded);
    assert.equal(maskUrl(maskUrl(c.url)), c.masked, 'masking twice changes nothing');
  });
}

test('passwordsOf: as written and as a parser reads it, raw and decoded', () => {
  assert.deepEqual(passwordsOf('postgres://u:p@ss#word9@host/db'), ['p@ss#word9']);
  assert.deepEqual(passwordsOf('postgres://u:Qh3%40Vw8@host/db').sort(), ['Qh3%40Vw8', 'Qh3@Vw8'].sort());
  assert.deepEqual(passwordsOf('postgres://host/db?password=Zk5Rt2'), ['Zk5Rt2']);
  assert.deepEqual(passwordsOf('postgres://u:ab@host/db'), [], 'too short to look for in a message');
});

test('maskUrlsIn: every URL in a sentence, nothing else', () => {
  assert.equal(maskUrlsIn('cannot reach postgres://u:pa ss@host/db: sealed (and mysql://x:y#z@h) again'),
    'cannot reach postgres://u:***@host/db: sealed (and mysql://x:***@h) again');
  // A later `@` on the line might end the password (it may hold spaces): the mask runs to it, hiding more rather than less.
  assert.equal(maskUrlsIn('see mysql://x:y@h/db, ask admin@corp'), 'see mysql://x:***@corp');
  assert.equal(maskUrlsIn('write it as postgres://user:<password>@host/db'), 'write it as postgres://user:<password>@host/db', 'a placeholder is kept');
  assert.equal(maskUrlsIn('connect to host?password=s3cret now'), 'connect to host?password=*** now');
  assert.equal(maskUrlsIn('line one\npostgres://u:p@ss@h/db\nline three'), 'line one\npostgres://u:***@h/db\nline three');
  assert.equal(maskUrlsIn("on mysql://u@127.0.0.1:3306/: Access denied for user 'u'@'%' to database 'd'"),
    "on mysql://u@127.0.0.1:3306/: Access denied for user 'u'@'%' to database 'd'", "MySQL's 'user'@'host' ends no URL");
  assert.equal(maskUrlsIn("on mysql://u:pw1@127.0.0.1:3306/: Access denied for user 'u'@'%'"),
    "on mysql://u:***@127.0.0.1:3306/: Access denied for user 'u'@'%'");
  const plain = 'applied createTable users';
  assert.equal(maskUrlsIn(plain), plain);
});
