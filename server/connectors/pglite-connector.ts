/**
 * Connector for an embedded PGlite database (the demo warehouse, and small
 * deployments without a database server). PGlite runs in this process and has
 * one connection, so statements queue; each runs in its own read-only
 * transaction like on every other connector.
 */
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { InsightError } from '../errors/insight-error.ts';
import { checkExecuteOptions } from './check-execute-options.ts';
import { INTROSPECT_TIMEOUT_MS, type ColumnInfo, type ColumnType, type Connector, type ExecuteOptions, type ExecuteResult, type ExplainOptions, type ExplainResult, type SchemaInfo } from './connector.ts';
import { planRows } from './explain-estimate.ts';

const toNumber = (value: string) => Number(value);
/** Text forms arrive unparsed; turn them into the JSON-ready values the wire protocol promises. */
const parsers = {
  [types.NUMERIC]: toNumber,
  [types.INT8]: toNumber,
  [types.DATE]: (value: string) => value,
  [types.TIMESTAMP]: (value: string) => new Date(value.replace(' ', 'T') + 'Z').toISOString(),
  [types.TIMESTAMPTZ]: (value: string) => new Date(value).toISOString(),
};

const NUMERIC_OIDS: ReadonlySet<number> = new Set([types.INT2, types.INT4, types.INT8, types.FLOAT4, types.FLOAT8, types.NUMERIC, types.MONEY]);

export function columnTypeOfOid(oid: number): ColumnType {
  if (NUMERIC_OIDS.has(oid)) return 'number';
  if (oid === types.DATE) return 'date';
  if (oid === types.TIMESTAMP || oid === types.TIMESTAMPTZ) return 'datetime';
  if (oid === types.BOOL) return 'boolean';
  if (oid === types.JSON || oid === types.JSONB) return 'json';
  if (oid === types.TEXT || oid === types.VARCHAR || oid === types.BPCHAR || oid === types.UUID) return 'string';
  return 'unknown';
}

export interface PGliteConnectorOptions {
  /** Closing the connector closes the database when the connector opened it. */
  ownsDatabase?: boolean;
}

export function createPGliteConnector(db: PGlite, options: PGliteConnectorOptions = {}): Connector {
  return {
    dialect: 'postgres',

    async execute(sql: string, params: readonly unknown[], opts: ExecuteOptions): Promise<ExecuteResult> {
      const { timeoutMs, maxRows } = checkExecuteOptions(opts);
      return readOnly(db, timeoutMs, opts.signal, async (tx) => {
        // One row past the cap tells whether the result was truncated.
        const result = await tx.query<unknown[]>(`select * from (\n${sql}\n) as capped limit ${maxRows + 1}`, [...params], {
          rowMode: 'array',
          parsers,
        });
        const columns: ColumnInfo[] = result.fields.map((f) => ({ name: f.name, type: columnTypeOfOid(f.dataTypeID) }));
        const truncated = result.rows.length > maxRows;
        return { columns, rows: truncated ? result.rows.slice(0, maxRows) : result.rows, truncated };
      });
    },

    async explain(sql: string, params: readonly unknown[], opts: ExplainOptions): Promise<ExplainResult> {
      const { timeoutMs } = checkExecuteOptions({ ...opts, maxRows: 0 });
      return readOnly(db, timeoutMs, opts.signal, async (tx) => {
        // Planned, never run; the subquery keeps it to a SELECT, as on PostgreSQL.
        const body = sql.replace(/[\s;]+$/, '');
        const result = await tx.query<unknown[]>(`explain (format json) select * from (\n${body}\n) as explained`, [...params], { rowMode: 'array' });
        return { estimatedRows: planRows(result.rows[0]?.[0]) };
      });
    },

    async test() {
      await db.query('select 1');
    },

    async introspect(opts = {}): Promise<SchemaInfo> {
      const { timeoutMs } = checkExecuteOptions({ timeoutMs: opts.timeoutMs ?? INTROSPECT_TIMEOUT_MS, maxRows: 0 });
      const { rows } = await readOnly(db, timeoutMs, opts.signal, (tx) => tx.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string; pk: boolean }>(
        `select c.table_name, c.column_name, c.data_type, c.is_nullable,
                exists (select 1 from information_schema.table_constraints tc
                         join information_schema.key_column_usage k on k.constraint_name = tc.constraint_name
                        where tc.constraint_type = 'PRIMARY KEY' and k.table_name = c.table_name and k.column_name = c.column_name) as pk
           from information_schema.columns c
          where c.table_schema = current_schema()
          order by c.table_name, c.ordinal_position`,
      ));
      const tables = new Map<string, SchemaInfo['tables'][number]>();
      for (const r of rows) {
        const table = tables.get(r.table_name) ?? { name: r.table_name, columns: [] };
        table.columns.push({ name: r.column_name, dataType: r.data_type, nullable: r.is_nullable === 'YES', primaryKey: r.pk });
        tables.set(r.table_name, table);
      }
      return { tables: [...tables.values()] };
    },

    async close() {
      if (options.ownsDatabase) await db.close();
    },
  };
}

/**
 * The envelope: one read-only transaction under a statement timeout, rolled
 * back rather than committed (a read-only transaction may still create large
 * objects; nothing a read leaves behind outlives it).
 */
async function readOnly<T>(db: PGlite, timeoutMs: number, signal: AbortSignal | undefined, body: (tx: Transaction) => Promise<T>): Promise<T> {
  if (signal?.aborted) throw new InsightError('ERR_QUERY_CANCELLED');
  try {
    return await db.transaction(async (tx) => {
      // timeoutMs is an integer checked by checkExecuteOptions.
      await tx.exec(`set transaction read only; set local statement_timeout = ${timeoutMs}`);
      const result = await body(tx);
      await tx.rollback();
      return result;
    });
  } catch (error) {
    throw translate(error);
  }
}

function translate(error: unknown): InsightError {
  if (error instanceof InsightError) return error;
  const code = (error as { code?: string }).code;
  if (code === '57014') return new InsightError('ERR_QUERY_TIMEOUT');
  const message = error instanceof Error ? error.message : String(error);
  return new InsightError('ERR_QUERY_FAILED', `The database could not run the query: ${message.slice(0, 200)}`, code && /^[0-9A-Z]{5}$/.test(code) ? { sqlstate: code } : undefined);
}
