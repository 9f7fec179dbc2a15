/**
 * Passwords in connection URLs: the one place that knows where they are, so
 * that none reaches a message, an event or the terminal however the URL is
 * spelled. A password may hold an unencoded `@`, `#`, `/`, `?` or space; a
 * URL parser then ends the user info early (`#` starts a fragment) and a
 * mask that follows the parser shows the rest (`postgres://u:***@ss#word9@…`).
 * So the user info here runs from `//` to the LAST `@` that a host follows,
 * which hides the most, and query parameters that carry a password are
 * masked too. Free text (an error a config module threw, a database's
 * message) is searched for URLs and masked the same way.
 */

const MASK = '***';

/** A host (name, IPv4, [IPv6], empty for a local socket) with an optional port; several, comma-separated, for libpq-style lists. */
const HOST = String.raw`(?:\[[0-9A-Fa-f:.]*\]|[A-Za-z0-9._~%-]*)(?::\d*)?`;
const HOSTS = `${HOST}(?:,${HOST})*`;
/** What may follow the host in a URL, and in a sentence around one. */
const AFTER_HOST_IN_URL = new RegExp(`^${HOSTS}(?=[/?#]|$)`);
// In a sentence an empty host counts only before a path: MySQL's `'user'@'%'` in a message is no URL's end.
const AFTER_HOST_IN_TEXT = new RegExp(`^(?:(?=[A-Za-z0-9._~%[-])${HOSTS}(?=[/?#\\s"'<>)\\],;]|$)|(?=/))`);
const WHOLE_HOSTS = new RegExp(`^${HOSTS}$`);

const SCHEME = /[A-Za-z][A-Za-z0-9+.-]*:\/\//g;
/*
 * In a URL the value runs to the next parameter: a `#` or a space in it is an
 * unencoded part of the password, not a fragment a database URL would use.
 * In a sentence it also ends at a space, as the URL does.
 */
const PASSWORD_PARAMETER = /([?&;](?:password|pass|pwd|passwd)=)([^&]*)/gi;
const PASSWORD_PARAMETER_IN_TEXT = /([?&;](?:password|pass|pwd|passwd)=)([^&\s]*)/gi;
/** A placeholder in idem's own hints (`postgres://user:<password>@host`), not a secret. */
const PLACEHOLDER = '<password>';

/** The URL with its password replaced by `***`, safe for any output. */
export function maskUrl(url: string): string {
  const at = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  const masked = url.replace(PASSWORD_PARAMETER, `$1${MASK}`);
  if (!at) return masked;
  return at[0] + maskAuthority(masked.slice(at[0].length), AFTER_HOST_IN_URL);
}

/** Every URL in this text with its password masked; text without one comes back as it was. */
export function maskUrlsIn(text: string): string {
  if (!mayHoldSecret(text)) return text;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) lines[i] = maskLine(lines[i]!);
  return lines.join('\n');
}

/** A cheap first look: the text holds a URL or a password parameter. */
export function mayHoldSecret(text: string): boolean {
  return text.includes('://') || /pass(?:word|wd)?=|pwd=/i.test(text);
}

function maskLine(line: string): string {
  const text = line.replace(PASSWORD_PARAMETER_IN_TEXT, `$1${MASK}`);
  const starts = [...text.matchAll(SCHEME)].map((m) => ({ at: m.index, end: m.index + m[0].length }));
  if (starts.length === 0) return text;
  let out = text.slice(0, starts[0]!.end);
  for (let i = 0; i < starts.length; i++) {
    // A URL's user info ends before the next URL begins.
    const rest = text.slice(starts[i]!.end, starts[i + 1]?.at ?? text.length);
    out += maskAuthority(rest, AFTER_HOST_IN_TEXT);
    if (i + 1 < starts.length) out += text.slice(starts[i + 1]!.at, starts[i + 1]!.end);
  }
  return out;
}

/** After `//`: the user info (up to the last `@` a host follows) keeps its user name; the rest of it is masked. */
function maskAuthority(rest: string, afterHost: RegExp): string {
  const end = userInfoEnd(rest, afterHost);
  if (end < 0) return rest;
  const userInfo = rest.slice(0, end);
  const colon = userInfo.indexOf(':');
  if (colon < 0) return rest; // a user name alone: nothing secret
  const password = userInfo.slice(colon + 1);
  if (password === MASK || password === PLACEHOLDER) return rest;
  return `${userInfo.slice(0, colon + 1)}${MASK}${rest.slice(end)}`;
}

/**
 * Where the user info ends (the index of its `@`), or -1 when there is none:
 * the last `@` a host follows. A query may hold an `@` too
 * (`u:pw@host/db?application_name=me@laptop`): when what a parser reads as
 * the authority is user info and a host, and a path and a query with `=`
 * follow, the user info ends at that host. `liberal` reads an authority
 * with no user info (`host:5432/db?application_name=me@laptop`) the same way:
 * right for deciding whether to refuse a URL, while masking keeps the
 * reading that hides more.
 */
function userInfoEnd(rest: string, afterHost: RegExp, liberal = false): number {
  let last = -1;
  for (let at = rest.lastIndexOf('@'); at >= 0; at = rest.lastIndexOf('@', at - 1)) {
    if (afterHost.test(rest.slice(at + 1))) {
      last = at;
      break;
    }
  }
  if (last < 0) return -1;
  const parserEnd = rest.slice(0, last).search(/[/?#]/);
  if (parserEnd < 0 || !QUERY_BEFORE_AT.test(rest.slice(parserEnd, last))) return last;
  const authority = rest.slice(0, parserEnd);
  const at = authority.lastIndexOf('@');
  if ((at >= 0 || liberal) && WHOLE_HOSTS.test(authority.slice(at + 1))) return at;
  return last;
}

/** A path (optional) and a query with a parameter: what follows an authority, not a password. */
const QUERY_BEFORE_AT = /^(?:\/[^?#]*)?\?[^#]*=/;

/**
 * The password as written between `//` and the last `@` or in a password=
 * parameter, and as a URL parser reads it, each raw and decoded: what a driver's message must not
 * repeat. Short ones are left out: masking every "ab" in a message would
 * garble it and hide nothing.
 */
export function passwordsOf(url: string): string[] {
  const found = new Set<string>();
  const add = (value: string | undefined) => {
    if (value === undefined || value.length < 3) return;
    found.add(value);
    try {
      found.add(decodeURIComponent(value));
    } catch {
      // Not valid percent-encoding: the raw form is the one to look for.
    }
  };
  add(writtenPassword(url));
  for (const m of url.matchAll(PASSWORD_PARAMETER)) add(m[2]);
  try {
    add(new URL(url).password);
  } catch {
    // Not a URL a parser reads: the written form is all there is.
  }
  return [...found];
}

/** These passwords replaced by `***` in a message. */
export function withoutPasswords(text: string, passwords: readonly string[]): string {
  let out = text;
  for (const password of passwords) if (password.length >= 3) out = out.replaceAll(password, MASK);
  return out;
}

function writtenPassword(url: string): string | undefined {
  const at = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  if (!at) return undefined;
  const rest = url.slice(at[0].length);
  const end = userInfoEnd(rest, AFTER_HOST_IN_URL);
  if (end < 0) return undefined;
  const userInfo = rest.slice(0, end);
  const colon = userInfo.indexOf(':');
  return colon < 0 ? undefined : userInfo.slice(colon + 1);
}

/**
 * The characters of a password (in the user info or a password= parameter)
 * that a URL must percent-encode and this one does not, where they change
 * how it reads: `#`, `/` or `?` end the user info early (the host becomes a
 * piece of the password), `#` ends a query, a `%` that starts no `%XX`
 * cannot be decoded. Empty when the URL reads as written.
 */
export function unencodedInPassword(url: string): string[] {
  const found = new Set<string>();
  const badPercent = /%(?![0-9A-Fa-f]{2})/;
  for (const m of url.matchAll(PASSWORD_PARAMETER)) {
    if (m[2]!.includes('#')) found.add('#');
    if (badPercent.test(m[2]!)) found.add('%');
  }
  const at = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  const rest = at ? url.slice(at[0].length) : '';
  const end = at ? userInfoEnd(rest, AFTER_HOST_IN_URL, true) : -1;
  if (end < 0) return [...found];
  const userInfo = rest.slice(0, end);
  for (const c of userInfo.match(/[#/?]/g) ?? []) found.add(c);
  if (badPercent.test(userInfo)) found.add('%');
  return [...found];
}

/** What to tell someone whose URL holds these unencoded characters. */
export function encodingAdvice(characters: readonly string[]): string {
  const codes = characters.map((c) => `${c === ' ' ? 'a space' : c} as ${encodeURIComponent(c)}`).join(', ');
  const percent = characters.includes('%') ? '' : ', and % itself as %25';
  return `percent-encode the user name and password in the URL (${codes}${percent}; in code: encodeURIComponent(password))`;
}
