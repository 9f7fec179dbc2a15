/**
 * The checksum recorded for each applied migration. It answers one question:
 * "was this file edited after it ran?" A checkout on Windows (CRLF, maybe a
 * BOM) or an editor that trims trailing spaces or the final newline is not
 * an edit, so those differences are normalized away before hashing; anything
 * else, including a change inside a string literal, changes the checksum.
 */
import { hash } from 'node:crypto';

export function migrationChecksum(text: string): string {
  return hash('sha256', normalizeMigrationText(text), 'hex');
}

function normalizeMigrationText(text: string): string {
  const withoutBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Most files have no CR and no line ending in whitespace: then only the end needs trimming, and one
  // scan replaces a pass over every line (this runs for every file on every `idem up`).
  // trimEnd() removes what /\s+$/ would (white space and line terminators), without a regular expression's backtracking.
  if (!/\r|[^\S\n]\n/.test(withoutBom)) return withoutBom.trimEnd();
  const lines = withoutBom.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) lines[i] = lines[i]!.trimEnd();
  let end = lines.length;
  while (end > 0 && lines[end - 1] === '') end--;
  return lines.slice(0, end).join('\n');
}
