/**
 * What is wrong with the arguments of one `m.` call, as a list: every
 * problem at once, each with its fix. The context asks before it builds an
 * operation, so an operation that exists is well formed: no unknown key, no
 * value of the wrong shape, no option that does not apply to its type, no
 * length the engine cannot hold, and no SQL text (a raw type, a default
 * expression) outside its grammar (sql-grammar.ts).
 */
import { COLUMN_TYPES, isColumnType, isIntegerType, type ColumnType } from './column-spec.ts';
import {
  closestKey, COLUMN_KEYS, FOREIGN_KEY_KEYS, INDEX_KEYS, REFERENCES_KEYS, TABLE_OPTION_KEYS, UNIQUE_KEYS, type KnownKeys,
} from './known-keys.ts';
import { defaultSqlProblem, sqlTypeProblem } from './sql-grammar.ts';

export interface Problem {
  message: string;
  hint: string;
}

export type EngineName = 'sqlite' | 'postgres' | 'mysql';

/**
 * What each engine holds, where a portable declaration can ask for more.
 * MySQL/MariaDB: a varchar of utf8mb4 (4 bytes a character) holds at most
 * 16383 characters, a varbinary 65535 bytes, a decimal 65 digits of which 30
 * after the point (https://dev.mysql.com/doc/refman/8.0/en/char.html,
 * https://dev.mysql.com/doc/refman/8.0/en/fixed-point-types.html);
 * PostgreSQL: varchar(10485760), numeric(1000)
 * (https://www.postgresql.org/docs/current/datatype-character.html,
 * https://www.postgresql.org/docs/current/datatype-numeric.html). SQLite
 * enforces none of them; PostgreSQL's are used, so a migration that passes
 * here passes there.
 */
const LIMITS: Record<EngineName, { string: number; binary: number; precision: number; scale: number }> = {
  sqlite: { string: 10_485_760, binary: 1_000_000_000, precision: 1000, scale: 1000 },
  postgres: { string: 10_485_760, binary: 1_000_000_000, precision: 1000, scale: 1000 },
  mysql: { string: 16_383, binary: 65_535, precision: 65, scale: 30 },
};

const ENGINE_NAMES: Record<EngineName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB' };

/**
 * The longest name each server keeps: PostgreSQL truncates a longer one
 * (NAMEDATALEN - 1 bytes), so the object would never be found under its
 * name again; MySQL/MariaDB refuse one over 64 characters, after the
 * migration's earlier DDL committed. The dialects refuse them too when
 * compiling (postgres-quote.ts, mysql-quote.ts); here they are found before
 * the run. SQLite has no practical limit.
 */
const NAME_LIMITS: Record<EngineName, { most: number; unit: 'bytes' | 'characters'; says: string } | undefined> = {
  sqlite: undefined,
  postgres: { most: 63, unit: 'bytes', says: 'PostgreSQL keeps only' },
  mysql: { most: 64, unit: 'characters', says: 'MySQL and MariaDB allow at most' },
};

/** Names a call creates that the engine cannot hold. */
export function newNameProblems(engine: EngineName, names: readonly unknown[]): Problem[] {
  const limit = NAME_LIMITS[engine];
  if (limit === undefined) return [];
  return names.flatMap((name) => {
    if (typeof name !== 'string') return [];
    const size = limit.unit === 'bytes' ? Buffer.byteLength(name, 'utf8') : [...name].length;
    return size <= limit.most ? [] : [problem(`the name "${name}" is ${size} ${limit.unit} long; ${limit.says} ${limit.most}`, `give it a shorter name (at most ${limit.most} ${limit.unit})`)];
  });
}

/** Fractional-second digits of a timestamp, on every engine. */
const TIMESTAMP_PRECISION_MAX = 6;

const problem = (message: string, hint: string): Problem => ({ message, hint });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}

/** Keys `value` holds that `known` does not list, each with the key it likely meant; then values of the wrong shape. */
export function keyProblems(value: Record<string, unknown>, known: KnownKeys, subject: string): Problem[] {
  const names = Object.keys(known);
  const problems: Problem[] = [];
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(known, key)) {
      const v = value[key];
      if (v !== undefined && !known[key]!.valid(v)) {
        problems.push(problem(`${subject}${key} is ${describe(v)}, not ${known[key]!.says}`, `write ${key} as ${known[key]!.says}`));
      }
      continue;
    }
    const meant = closestKey(key, names);
    problems.push(problem(`${subject}unknown key "${key}"`, meant ? `did you mean \`${meant}\`?` : `the keys are ${names.join(', ')}`));
  }
  return problems;
}

/** `null` or `undefined` count as "no options"; anything else must be an object. */
export function optionsProblems(options: unknown, known: KnownKeys, what: string): Problem[] {
  if (options === undefined || options === null) return [];
  if (!isPlainObject(options)) return [problem(`${what} are ${describe(options)}, not an object`, `pass them as an object with the keys ${Object.keys(known).join(', ')}`)];
  return keyProblems(options, known, `${what}: `);
}

/**
 * One column's declaration. `partial`: an alterColumn's changes, which need
 * no type and cannot be judged against a type they do not name.
 */
export function columnProblems(column: string, spec: unknown, engine: EngineName, partial = false): Problem[] {
  const subject = `column "${column}": `;
  if (!isPlainObject(spec)) {
    return [problem(`${subject}needs a column spec object (got ${describe(spec)})`, "declare it like { type: 'string', length: 50 }")];
  }
  const problems = keyProblems(spec, COLUMN_KEYS, subject);
  // A value of the wrong shape is reported once, as that: the rules below read only well-shaped values.
  const known: KnownKeys = COLUMN_KEYS;
  const has = (key: string) => spec[key] !== undefined && Object.hasOwn(known, key) && known[key]!.valid(spec[key]);
  const add = (message: string, hint: string) => problems.push(problem(`${subject}${message}`, hint));
  const limits = LIMITS[engine];
  const on = ENGINE_NAMES[engine];

  let type: ColumnType | undefined;
  if (has('type')) {
    if (isColumnType(spec.type)) type = spec.type;
    else add(`unknown type "${String(spec.type)}"`, `use one of ${COLUMN_TYPES.join(', ')}, or sqlType for an engine-specific type`);
  }
  const sqlType = has('sqlType') ? (spec.sqlType as string) : undefined;
  if (sqlType !== undefined) {
    const wrong = sqlType.trim() === '' ? 'is empty' : sqlTypeProblem(sqlType.trim());
    if (wrong !== undefined) {
      add(`sqlType ${JSON.stringify(sqlType)} ${wrong}`, 'give a type name as the engine spells it, e.g. "varchar(40)", "numeric(12,2)", "int unsigned"; put anything else in m.sql');
    }
  }
  if (!partial && spec.type === undefined && spec.sqlType === undefined) {
    add('has neither type nor sqlType', `add type: one of ${COLUMN_TYPES.join(', ')}`);
  }
  // With only a raw type, the portable options have nothing to apply to.
  const rawOnly = type === undefined && sqlType !== undefined && spec.type === undefined;
  if (rawOnly) {
    for (const option of ['length', 'precision', 'scale', 'withTimezone', 'unsigned'] as const) {
      if (has(option)) add(`${option} has no effect with sqlType alone`, 'write it inside sqlType, e.g. "varchar(40)", "numeric(12,2)" or "int unsigned"');
    }
  }
  const typed = type !== undefined;

  if (has('length')) {
    const length = spec.length as number;
    if (typed && type !== 'string' && type !== 'binary') {
      add(`length is only valid for string and binary columns, not ${type}`, 'remove length, or change the type to string');
    } else if (length <= 0) {
      add(`length must be a positive integer, got ${length}`, 'use a whole number of characters or bytes, e.g. length: 255');
    } else if (type === 'binary' ? length > limits.binary : length > limits.string) {
      const most = type === 'binary' ? limits.binary : limits.string;
      add(`length ${length} is more than ${on} holds in a ${type === 'binary' ? 'binary' : 'string'} column (at most ${most})`,
        type === 'binary' ? 'use a smaller length, or no length (a blob)' : "use type: 'text' for long text, or a smaller length");
    }
  }

  if (has('precision')) {
    const precision = spec.precision as number;
    if (typed && type === 'timestamp') {
      if (precision < 0 || precision > TIMESTAMP_PRECISION_MAX) {
        add(`precision of a timestamp counts fractional-second digits, 0 to ${TIMESTAMP_PRECISION_MAX}; got ${precision}`, 'use e.g. precision: 3 for milliseconds, 6 for microseconds');
      }
    } else if (typed && type !== 'decimal') {
      add(`precision and scale are only valid for decimal columns, not ${type}`, 'remove them, or change the type to decimal');
    } else if (precision <= 0 || precision > limits.precision) {
      add(`precision must be a whole number from 1 to ${limits.precision} on ${on}, got ${precision}`, 'use the total number of digits, e.g. precision: 12');
    }
  }
  if (has('scale')) {
    const scale = spec.scale as number;
    if (typed && type !== 'decimal') {
      if (!(has('precision') && type !== 'timestamp')) add(`precision and scale are only valid for decimal columns, not ${type}`, 'remove them, or change the type to decimal');
    } else if (scale < 0 || scale > limits.scale) {
      add(`scale must be a whole number from 0 to ${limits.scale} on ${on}, got ${scale}`, 'use the digits after the point, e.g. scale: 2');
    }
  }
  if (type === 'decimal' && !partial) {
    const precision = has('precision') ? spec.precision as number : 10;
    const scale = has('scale') ? spec.scale as number : 0;
    if (scale > precision && scale <= limits.scale) {
      add(`scale ${scale} is larger than precision ${precision}`, 'make precision at least as large as scale (precision counts all digits)');
    }
  }

  if (has('withTimezone') && spec.withTimezone === true && typed && type !== 'timestamp') {
    add(`withTimezone is only valid for timestamp columns, not ${type}`, 'remove withTimezone, or change the type to timestamp');
  }
  if (has('unsigned') && spec.unsigned === true && typed && !isIntegerType(type)) {
    add(`unsigned is only valid for integer columns, not ${type}`, 'remove unsigned, or use type: "integer" (or bigint, smallint)');
  } else if (has('unsigned') && spec.unsigned === true && engine !== 'mysql') {
    // As validate-column.ts refuses it when compiled, here before anything runs: the engine has no unsigned integers.
    add(`unsigned integers do not exist on ${on}`, 'remove unsigned, or declare a wider signed type and your own CHECK through m.sql');
  }
  if (has('autoIncrement') && spec.autoIncrement === true && !partial && !isIntegerType(type)) {
    add(`autoIncrement needs an integer type, not ${type ?? `sqlType "${sqlType ?? ''}"`}`, 'use type: "integer" (or bigint, smallint) for an auto-incrementing column');
  }
  if (has('autoIncrement') && spec.autoIncrement === true && spec.default !== undefined && spec.default !== null) {
    add('autoIncrement and a default cannot be combined', 'remove the default; the column numbers itself');
  }

  if (has('default')) problems.push(...defaultProblems(spec.default, subject));
  return problems;
}

function defaultProblems(value: unknown, subject: string): Problem[] {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return [problem(`${subject}default ${String(value)} is not a finite number`, 'use a finite number, or null')];
  }
  if (isPlainObject(value)) {
    const sql = (value.sql as string).trim();
    const wrong = sql === '' ? 'is empty' : defaultSqlProblem(sql);
    if (wrong !== undefined) {
      return [problem(`${subject}default { sql: ${JSON.stringify(value.sql)} } ${wrong}`,
        "give one expression: a literal, a function call or operators, e.g. { sql: 'CURRENT_TIMESTAMP' }, { sql: \"lower('X')\" }; put anything else in m.sql")];
    }
  }
  return [];
}

/** createTable's columns: an object of column specs, never a list (Knex's style), never empty. */
export function columnMapProblems(columns: unknown, engine: EngineName): Problem[] {
  if (Array.isArray(columns)) {
    return [problem('declares its columns as a list; idem takes an object keyed by column name',
      "write m.createTable(name, { id: { type: 'integer', primaryKey: true }, email: { type: 'string' } })")];
  }
  if (!isPlainObject(columns) || Object.keys(columns).length === 0) {
    return [problem('declares no columns', 'pass at least one column: m.createTable(name, { id: { type: "integer", primaryKey: true } })')];
  }
  return Object.entries(columns).flatMap(([name, spec]) => [
    ...(name === '' ? [problem('has a column with an empty name', 'give every column a name')] : []),
    ...columnProblems(name, spec, engine),
  ]);
}

/** createTable's options: known keys, each entry of the right shape, naming only the table's own columns. */
export function tableOptionsProblems(options: unknown, columns: unknown): Problem[] {
  if (options === undefined || options === null) return [];
  const problems = optionsProblems(options, TABLE_OPTION_KEYS, 'options');
  if (problems.length > 0 || !isPlainObject(options)) return problems;
  const declared = new Set(isPlainObject(columns) ? Object.keys(columns) : []);
  const undeclared = (where: string, names: unknown) => {
    if (!Array.isArray(names)) return;
    for (const name of names) {
      if (typeof name === 'string' && !declared.has(name)) {
        problems.push(problem(`${where} names column "${name}", which the table does not declare`, `declare the column, or fix the name (columns: ${[...declared].join(', ')})`));
      }
    }
  };
  undeclared('options.primaryKey', options.primaryKey);
  const entries = (key: 'unique' | 'indexes' | 'foreignKeys', known: KnownKeys) => {
    const list = options[key];
    if (!Array.isArray(list)) return;
    list.forEach((entry, i) => {
      const where = `options.${key}[${i}]`;
      if (!isPlainObject(entry)) {
        problems.push(problem(`${where} is ${describe(entry)}, not an object`, `write it as { ${Object.keys(known).join(', ')} }`));
        return;
      }
      const found = keyProblems(entry, known, `${where}: `);
      if (entry.columns === undefined) found.push(problem(`${where} has no columns`, "name its columns: columns: ['email']"));
      problems.push(...found);
      undeclared(where, entry.columns);
      if (key === 'foreignKeys' && isPlainObject(entry.references)) {
        const refs = keyProblems(entry.references, REFERENCES_KEYS, `${where}.references: `);
        if (entry.references.table === undefined || entry.references.columns === undefined) {
          refs.push(problem(`${where}.references needs table and columns`, "write references: { table: 'users', columns: ['id'] }"));
        }
        problems.push(...refs);
        if (Array.isArray(entry.columns) && Array.isArray(entry.references.columns) && entry.columns.length !== entry.references.columns.length) {
          problems.push(problem(`${where} has ${entry.columns.length} column(s) referencing ${entry.references.columns.length}`, 'reference as many columns as the key has'));
        }
      } else if (key === 'foreignKeys' && entry.references === undefined) {
        problems.push(problem(`${where} has no references`, "write references: { table: 'users', columns: ['id'] }"));
      }
    });
  };
  entries('unique', UNIQUE_KEYS);
  entries('indexes', INDEX_KEYS);
  entries('foreignKeys', FOREIGN_KEY_KEYS);
  return problems;
}

/**
 * Placeholders against values, for one query of an operation: `which` names
 * it (`sql`, `condition`), `values` the option its values come from.
 */
export function parameterProblem(which: string, placeholders: number, values: number, option: string): Problem | undefined {
  if (placeholders === values) return undefined;
  return problem(
    `the ${which} has ${placeholders} placeholder(s) but ${values} value(s) in ${option}`,
    placeholders > values
      ? `pass one value in ${option} for each ? of the ${which}, in order`
      : `remove the extra values from ${option}, or add the ? they are meant for to the ${which}`,
  );
}
