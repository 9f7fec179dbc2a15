/**
 * Where in a migration's file a call was made: the first stack frame in that
 * module. Node's type stripping keeps lines and columns, so the place is the
 * one the author's editor shows.
 */

export interface CallSite {
  line: number;
  column: number;
}

/** The call site of the current call in the module at `moduleUrl`. Deep helpers are fine: the stack is made long enough. */
export function callSite(moduleUrl: string): CallSite | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  return callSiteIn(stack, moduleUrl);
}

/** `at up (file:///…/0002_x.ts:14:11)` → { line: 14, column: 11 } for the first frame in that module. */
export function callSiteIn(stack: string | undefined, moduleUrl: string): CallSite | undefined {
  if (stack === undefined) return undefined;
  for (const line of stack.split('\n')) {
    const at = line.indexOf(`${moduleUrl}:`);
    if (at < 0) continue;
    const m = /^:(\d+):(\d+)/.exec(line.slice(at + moduleUrl.length));
    if (m) return { line: Number(m[1]), column: Number(m[2]) };
  }
  return undefined;
}
