/**
 * The SQL guard against a public corpus: defog sql-eval's 210 PostgreSQL gold
 * queries (data/questions_gen_postgres.csv) over the eleven databases of
 * defog-data. Each database is loaded into a scratch PostgreSQL database
 * (`insight_guard_corpus_<name>`, dropped at the end); every table becomes a
 * dataset whose policy source reads it through a bound parameter, and every
 * gold query runs twice: directly, and through guardSql. The figures are how
 * many the guard accepts and how many of those return the same rows (as a
 * multiset of value rows: column names and tie order may differ).
 *
 * Both repositories are Apache-2.0; nothing of them is committed here. Point
 * the bench at checkouts:
 *   git clone --depth 1 https://github.com/defog-ai/sql-eval
 *   git clone --depth 1 https://github.com/defog-ai/defog-data
 *   GUARD_CORPUS_SQL_EVAL=./sql-eval GUARD_CORPUS_DEFOG_DATA=./defog-data node --import tsx bench/guard-corpus.ts
 * Without them the bench says so and exits without a figure.
 *
 * A gold query may list acceptable column sets as `{a, b}` and alternatives
 * separated by `;` (sql-eval's get_all_minimal_queries); the bench takes the
 * first alternative with all its columns, the form closest to what a model
 * would write. ewallet's tables live in the schema consumer_div; its gold
 * queries qualify them, and the guard (which refuses schema-qualified names
 * by design) is given them without the qualifier, as datasets are named.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { isInsightError } from '../server/errors/insight-error.ts';
import { guardSql, type GuardDataset } from '../server/query/sql-guard/guard-sql.ts';
import { isMain } from './bench-kit.ts';

const ADMIN_URL = process.env.INSIGHT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PREFIX = 'insight_guard_corpus_';

export interface GoldQuery {
  db: string;
  question: string;
  sql: string;
}

export type Outcome =
  | { kind: 'same'; rows: number }
  | { kind: 'different'; direct: number; guarded: number }
  | { kind: 'refused'; code: string; detail: string }
  | { kind: 'guarded failed'; detail: string }
  | { kind: 'direct failed'; detail: string };

export interface CorpusResult {
  query: GoldQuery;
  outcome: Outcome;
}

/** RFC 4180 CSV (quoted fields with doubled quotes and newlines), as sql-eval writes it. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += ch;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...body] = rows;
  if (!header) return [];
  return body.filter((r) => r.length === header.length).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] as string])));
}

/** The first alternative of a gold query, with every column of each `{a, b}` choice. */
export function primaryVariant(query: string): string {
  const first = query.split(';').map((q) => q.trim()).find((q) => q !== '') ?? '';
  let text = first;
  const choice = /\{([^{}]*)\}/;
  const match = text.match(choice);
  if (!match) return text;
  const columns = (match[1] as string).split(',').map((c) => c.trim()).join(', ');
  text = text.replace(choice, columns).replaceAll('GROUP BY {}', `GROUP BY ${columns}`);
  return text;
}

/** Rows as a sorted list of JSON value tuples: equal when the two results hold the same rows. */
function multiset(rows: unknown[][]): string[] {
  return rows.map((row) => JSON.stringify(row.map((v) => (v instanceof Date ? v.toISOString() : typeof v === 'number' ? Number(v.toPrecision(12)) : v)))).sort();
}

async function withClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A defog-data database as datasets: one per table, keyed by its primary key when it has one. */
interface LoadedDatabase {
  datasets: GuardDataset[];
  /** Schemas other than public (ewallet keeps its tables in consumer_div). */
  schemas: string[];
}

async function loadDatabase(client: pg.Client, schemaSql: string): Promise<LoadedDatabase> {
  await client.query(schemaSql);
  const tables = await client.query<{ table_schema: string; table_name: string }>(
    "select table_schema, table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE' order by 1, 2",
  );
  const keys = await client.query<{ table_schema: string; table_name: string; column_name: string }>(
    `select n.nspname as table_schema, c.relname as table_name, a.attname as column_name from pg_index i join pg_class c on c.oid = i.indrelid
     join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid and a.attnum = any(i.indkey)
     where i.indisprimary`,
  );
  const datasets = tables.rows.map(({ table_schema: schema, table_name: table }) => {
    const key = keys.rows.filter((k) => k.table_schema === schema && k.table_name === table).map((k) => k.column_name);
    // The policy source binds one value, as a tenant policy would; it keeps every row of the corpus.
    const dataset: GuardDataset = { name: table.toLowerCase(), source: { sql: `select * from "${schema}"."${table}" where ? = 1`, parameters: [1] } };
    return key.length > 0 ? { ...dataset, keys: [key] } : dataset;
  });
  return { datasets, schemas: [...new Set(tables.rows.map((t) => t.table_schema))].filter((s) => s !== 'public') };
}

/**
 * The gold SQL as written over datasets: a dataset is reached by its plain
 * name, so a schema qualifier (`consumer_div.users`) is dropped; the guard
 * refuses schema-qualified names by design.
 */
export function overDatasets(sql: string, schemas: readonly string[]): string {
  return schemas.reduce((text, schema) => text.replace(new RegExp(`\\b${schema}\\.`, 'gi'), ''), sql);
}

async function runOne(client: pg.Client, query: GoldQuery, database: LoadedDatabase): Promise<Outcome> {
  let direct: unknown[][];
  try {
    direct = (await client.query({ text: query.sql, rowMode: 'array' })).rows;
  } catch (error) {
    return { kind: 'direct failed', detail: String((error as Error).message).slice(0, 160) };
  }
  let guarded;
  try {
    guarded = guardSql({ sql: overDatasets(query.sql, database.schemas), dialect: 'postgres', datasets: database.datasets, params: {} });
  } catch (error) {
    if (isInsightError(error)) return { kind: 'refused', code: error.code, detail: error.message.slice(0, 160) };
    throw error;
  }
  let rows: unknown[][];
  try {
    rows = (await client.query({ text: guarded.sql, values: guarded.parameters, rowMode: 'array' })).rows;
  } catch (error) {
    return { kind: 'guarded failed', detail: String((error as Error).message).slice(0, 160) };
  }
  const same = JSON.stringify(multiset(direct)) === JSON.stringify(multiset(rows));
  return same ? { kind: 'same', rows: rows.length } : { kind: 'different', direct: direct.length, guarded: rows.length };
}

export async function benchGuardCorpus(sqlEvalDir: string, defogDataDir: string): Promise<CorpusResult[]> {
  const gold = parseCsv(readFileSync(path.join(sqlEvalDir, 'data', 'questions_gen_postgres.csv'), 'utf8'))
    .map((row) => ({ db: row.db_name as string, question: row.question as string, sql: primaryVariant(row.query as string) }));
  const results: CorpusResult[] = [];
  for (const db of [...new Set(gold.map((g) => g.db))].sort()) {
    if (!/^[a-z_]+$/.test(db)) throw new Error(`unexpected database name ${db}`);
    const name = `${PREFIX}${db}`;
    await withClient(ADMIN_URL, (admin) => admin.query(`drop database if exists ${name}`).then(() => admin.query(`create database ${name}`)));
    try {
      await withClient(databaseUrl(name), async (client) => {
        await client.query('set statement_timeout = 30000');
        const database = await loadDatabase(client, readFileSync(path.join(defogDataDir, 'defog_data', db, `${db}.sql`), 'utf8'));
        for (const query of gold.filter((g) => g.db === db)) results.push({ query, outcome: await runOne(client, query, database) });
      });
    } finally {
      await withClient(ADMIN_URL, (admin) => admin.query(`drop database if exists ${name}`));
    }
  }
  return results;
}

export function formatGuardCorpus(results: readonly CorpusResult[]): string {
  const count = (kind: Outcome['kind']) => results.filter((r) => r.outcome.kind === kind).length;
  const valid = results.length - count('direct failed');
  const accepted = count('same') + count('different') + count('guarded failed');
  const lines = [
    `gold queries: ${results.length} (${count('direct failed')} fail when run directly and are left out)`,
    `accepted by the guard: ${accepted} / ${valid}`,
    `same rows as direct execution: ${count('same')} / ${valid}`,
    `different rows: ${count('different')}; guarded SQL failed on the database: ${count('guarded failed')}; refused: ${count('refused')}`,
  ];
  for (const r of results) {
    if (r.outcome.kind === 'same') continue;
    const o = r.outcome;
    const what = o.kind === 'refused' ? `${o.code}: ${o.detail}` : o.kind === 'different' ? `${o.direct} rows direct, ${o.guarded} guarded` : o.detail;
    lines.push(`  [${o.kind}] ${r.query.db}: ${what}\n    ${r.query.sql.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  const sqlEval = process.env.GUARD_CORPUS_SQL_EVAL;
  const defogData = process.env.GUARD_CORPUS_DEFOG_DATA;
  if (!sqlEval || !defogData || !existsSync(path.join(sqlEval, 'data', 'questions_gen_postgres.csv')) || !existsSync(path.join(defogData, 'defog_data'))) {
    console.log('guard corpus: skipped. Set GUARD_CORPUS_SQL_EVAL and GUARD_CORPUS_DEFOG_DATA to checkouts of defog-ai/sql-eval and defog-ai/defog-data (see bench/guard-corpus.ts).');
  } else {
    console.log(formatGuardCorpus(await benchGuardCorpus(sqlEval, defogData)));
  }
}
