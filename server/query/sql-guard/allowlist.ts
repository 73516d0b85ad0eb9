/**
 * What SQL over datasets may call, per dialect. These are allowlists: a name
 * that is not here is refused, so a function the server ships tomorrow (or an
 * extension installs) cannot read files, sleep, change settings or reach
 * another table. Everything here is a pure function of its arguments or of the
 * clock; nothing takes a table, a file or a setting name as a string.
 *
 * Names are compared in lower case: node-sql-parser upper-cases some of them.
 */
import type { Dialect } from '../../connectors/connector.ts';

const COMMON_FUNCTIONS = [
  // aggregates
  'count', 'sum', 'avg', 'min', 'max', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp',
  // math and conditionals
  'abs', 'round', 'ceil', 'ceiling', 'floor', 'power', 'pow', 'sqrt', 'ln', 'log', 'log10', 'exp', 'mod', 'sign',
  'greatest', 'least', 'coalesce', 'nullif',
  // strings (no repeat(): it turns a short query into gigabytes of memory)
  'lower', 'upper', 'length', 'char_length', 'character_length', 'substring', 'substr', 'trim', 'ltrim', 'rtrim',
  'concat', 'concat_ws', 'replace', 'left', 'right', 'position', 'lpad', 'rpad', 'reverse',
  // dates; CURRENT_DATE and friends parse as functions without parentheses
  'now', 'current_date', 'current_time', 'current_timestamp', 'localtime', 'localtimestamp',
  // window functions
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value',
  'last_value', 'nth_value',
  // predicates over subqueries (their SELECT is walked like any other)
  'exists', 'any', 'all', 'some',
] as const;

const POSTGRES_FUNCTIONS = [
  'string_agg', 'array_agg', 'bool_and', 'bool_or', 'every', 'percentile_cont', 'percentile_disc', 'mode', 'grouping',
  'corr', 'covar_pop', 'covar_samp',
  'cbrt', 'trunc', 'div', 'width_bucket',
  'btrim', 'split_part', 'strpos', 'initcap', 'octet_length',
  'date_trunc', 'date_part', 'to_char', 'to_date', 'to_timestamp', 'to_number', 'age', 'make_date',
  // date(x): PostgreSQL has no such function, it reads the call as the cast x::date (pg_catalog's date(timestamp)).
  'date',
] as const;

const MYSQL_FUNCTIONS = [
  'group_concat', 'std',
  'truncate', 'log2', 'ifnull', 'if',
  'lcase', 'ucase', 'locate', 'instr', 'substring_index', 'format',
  'date_format', 'year', 'month', 'day', 'dayofmonth', 'dayofweek', 'dayofyear', 'week', 'weekofyear', 'yearweek',
  'quarter', 'hour', 'minute', 'second', 'date', 'datediff', 'timestampdiff', 'date_add', 'date_sub', 'adddate',
  'subdate', 'curdate', 'last_day', 'str_to_date', 'makedate', 'monthname', 'dayname', 'from_unixtime',
] as const;

export const ALLOWED_FUNCTIONS: Readonly<Record<Dialect, ReadonlySet<string>>> = {
  postgres: new Set([...COMMON_FUNCTIONS, ...POSTGRES_FUNCTIONS]),
  mysql: new Set([...COMMON_FUNCTIONS, ...MYSQL_FUNCTIONS]),
};

const COMMON_BINARY_OPERATORS = [
  '=', '<>', '!=', '<', '>', '<=', '>=', '+', '-', '*', '/', '%',
  'AND', 'OR', 'IN', 'NOT IN', 'BETWEEN', 'NOT BETWEEN', 'LIKE', 'NOT LIKE', 'IS', 'IS NOT', '||', '->', '->>',
] as const;

export const ALLOWED_BINARY_OPERATORS: Readonly<Record<Dialect, ReadonlySet<string>>> = {
  postgres: new Set([...COMMON_BINARY_OPERATORS, 'ILIKE', 'NOT ILIKE', '~', '~*', '!~', '!~*', '#>', '#>>']),
  mysql: new Set([...COMMON_BINARY_OPERATORS, 'DIV', 'MOD', 'XOR', 'REGEXP', 'NOT REGEXP', 'RLIKE', 'NOT RLIKE', '<=>']),
};

export const ALLOWED_UNARY_OPERATORS: Readonly<Record<Dialect, ReadonlySet<string>>> = {
  postgres: new Set(['-', '+', 'NOT', 'EXISTS', 'NOT EXISTS']),
  mysql: new Set(['-', '+', 'NOT', '!', 'EXISTS', 'NOT EXISTS']),
};

/**
 * Cast targets. Notably absent: the reg* types (`'pg_authid'::regclass`
 * probes the catalog), xml, and anything user-defined.
 */
export const ALLOWED_CAST_TYPES: Readonly<Record<Dialect, ReadonlySet<string>>> = {
  postgres: new Set([
    'INT', 'INTEGER', 'INT2', 'INT4', 'INT8', 'BIGINT', 'SMALLINT', 'NUMERIC', 'DECIMAL', 'REAL', 'FLOAT', 'FLOAT4',
    'FLOAT8', 'DOUBLE PRECISION', 'TEXT', 'VARCHAR', 'CHAR', 'CHARACTER', 'CHARACTER VARYING', 'DATE', 'TIME',
    'TIMESTAMP', 'TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP WITHOUT TIME ZONE', 'INTERVAL', 'BOOLEAN',
    'BOOL', 'JSON', 'JSONB',
  ]),
  mysql: new Set(['SIGNED', 'UNSIGNED', 'SIGNED INTEGER', 'UNSIGNED INTEGER', 'DECIMAL', 'CHAR', 'DATE', 'DATETIME', 'TIME', 'DOUBLE', 'FLOAT', 'JSON']),
};

/** EXTRACT fields and INTERVAL units (both dialects; the database rejects what it does not know). */
export const ALLOWED_DATE_PARTS: ReadonlySet<string> = new Set([
  'year', 'years', 'quarter', 'month', 'months', 'week', 'weeks', 'day', 'days', 'hour', 'hours', 'minute', 'minutes',
  'second', 'seconds', 'millisecond', 'milliseconds', 'microsecond', 'microseconds', 'dow', 'doy', 'isodow',
  'isoyear', 'epoch', 'decade', 'century', 'millennium', 'year_month', 'day_hour', 'day_minute', 'day_second',
  'hour_minute', 'hour_second', 'minute_second',
]);

/**
 * Bare words that PostgreSQL and MySQL evaluate as functions without
 * parentheses. node-sql-parser reads some of them as column names; the guard
 * refuses them as functions that are not allowed rather than let them reach
 * the database unquoted.
 */
export const BARE_WORD_FUNCTIONS: ReadonlySet<string> = new Set([
  'user', 'current_user', 'session_user', 'current_role', 'current_catalog', 'current_schema', 'system_user',
]);
