/**
 * Turns a dataset into the only form in which any query may read it: a
 * subquery that applies the row policy with bound parameters taken from the
 * viewer's token. A policy parameter the token does not carry denies the
 * query (fail closed).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../connectors/connector.ts';
import { InsightError } from '../errors/insight-error.ts';
import type { DatasetRow } from '../store/store-schema.ts';
import { assertDatasetSqlAllowed } from './sql-guard/guard-dataset-sql.ts';

type PolicyPart = { text: string } | { param: string };

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function parsePolicy(policy: string): PolicyPart[] {
  const parts: PolicyPart[] = [];
  let last = 0;
  for (const match of policy.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push({ text: policy.slice(last, match.index) });
    parts.push({ param: match[1] as string });
    last = match.index + match[0].length;
  }
  if (last < policy.length) parts.push({ text: policy.slice(last) });
  return parts;
}

/** Names of the token params a policy needs. */
export function policyParams(policy: string | null): string[] {
  return policy ? [...new Set(parsePolicy(policy).flatMap((p) => ('param' in p ? [p.param] : [])))] : [];
}

function policyValue(params: Readonly<Record<string, unknown>>, name: string): unknown {
  if (!Object.hasOwn(params, name) || params[name] === null || params[name] === undefined) {
    throw new InsightError('ERR_POLICY_PARAM_MISSING', `The token does not carry the parameter "${name}" that the row policy needs`, { param: name });
  }
  const value = params[name];
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new InsightError('ERR_POLICY_PARAM_MISSING', `The token parameter "${name}" must be a string, number or boolean`, { param: name });
  }
  return value;
}

export type DatasetSourceFields = Pick<DatasetRow, 'source_table' | 'source_sql' | 'row_policy'>;

export interface DatasetSelectOptions {
  /** The connection's dialect: the stored SQL and policy are checked by the SQL guard in it before they are used. */
  dialect: Dialect;
  /** Read only these columns (the declared ones) instead of `*`. */
  columns?: readonly string[];
}

/**
 * The dataset as a SELECT that applies its row policy (no parentheses).
 * Its source SQL and policy pass the SQL guard first, whenever they were
 * stored: a dataset saved before a rule existed is refused, not run.
 * @example
 * sql`select count(*) from (${datasetSelect(ds, { tenant_id: 1 }, { dialect: 'postgres' })}) as ds`
 */
export function datasetSelect(dataset: DatasetSourceFields, params: Readonly<Record<string, unknown>>, options: DatasetSelectOptions): RawBuilder<unknown> {
  assertDatasetSqlAllowed(dataset, options.dialect);
  const from = dataset.source_table
    ? sql`${sql.table(dataset.source_table)}`
    : dataset.source_sql
      ? sql`(${sql.raw(dataset.source_sql)}) as source`
      : undefined;
  if (!from) throw new InsightError('ERR_QUERY_INVALID', 'The dataset has neither a table nor a SELECT');
  const select = options.columns ? sql.join(options.columns.map((name) => sql.ref(name))) : sql`*`;
  if (!dataset.row_policy) return sql`select ${select} from ${from}`;
  const condition = sql.join(
    parsePolicy(dataset.row_policy).map((part) => ('param' in part ? sql.val(policyValue(params, part.param)) : sql.raw(part.text))),
    sql.raw(''),
  );
  return sql`select ${select} from ${from} where ${condition}`;
}

/** The dataset as a parenthesised subquery (without alias), for kysely. */
export function datasetSource(dataset: DatasetSourceFields, params: Readonly<Record<string, unknown>>, options: DatasetSelectOptions): RawBuilder<unknown> {
  return sql`(${datasetSelect(dataset, params, options)})`;
}
