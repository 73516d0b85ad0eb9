/**
 * Connector for a customer's PostgreSQL, through one `pg` Pool per connection.
 *
 * Every statement runs in the envelope of ARCHITECTURE.md section 4: a
 * read-only transaction, a server-side statement timeout, a row cap and the
 * extended protocol with bound parameters. The extended protocol is what makes
 * `SELECT 1; SELECT 2` impossible: a Parse message holds exactly one statement.
 */
import pg from 'pg';
import type { CustomTypesConfig, FieldDef, PoolClient, QueryArrayConfig, QueryArrayResult } from 'pg';
import { InsightError, isInsightError } from '../errors/insight-error.ts';
import { checkExecuteOptions } from './check-execute-options.ts';
import { planRows } from './explain-estimate.ts';
import { CANCEL_ATTEMPTS, CANCEL_RETRY_MS, CLIENT_BACKSTOP_MS, CONNECT_TIMEOUT_MS, INTROSPECT_TIMEOUT_MS, couldNotConnect, type ColumnInfo, type ColumnType, type Connector, type ExecuteOptions, type ExecuteResult, type ExplainOptions, type ExplainResult, type NetworkConnectorConfig, type SchemaInfo, type SchemaTable } from './connector.ts';
import { toIsoDatetime } from './to-iso-datetime.ts';

export interface PostgresConnectorConfig extends NetworkConnectorConfig {
  /** TLS with certificate verification (node's defaults). */
  ssl?: boolean;
  /**
   * The name the certificate must carry when `host` is an address the name
   * was resolved to (the host policy pins the address it checked).
   */
  tlsServername?: string;
}


const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  money: 790,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
  name: 19,
  char: 18,
} as const;

const asText = (value: string) => value;

/**
 * Text forms turned into the JSON-ready values the wire protocol promises.
 * int8 and numeric become JS numbers (the contract prefers a chartable number
 * to exactness past 2^53); date stays the server's `YYYY-MM-DD` so no time
 * zone can shift it; intervals and bytea stay text instead of becoming
 * objects that serialise oddly.
 */
const PARSERS = new Map<number, (value: string) => unknown>([
  [OID.int8, Number],
  [OID.numeric, Number],
  [OID.date, asText],
  [OID.timestamp, toIsoDatetime],
  [OID.timestamptz, toIsoDatetime],
  [OID.interval, asText],
  [OID.bytea, asText],
]);

/**
 * Handed to the Pool rather than set on `pg.types`, because the global
 * registry is shared with every other pg user in the process (the platform
 * store's kysely dialect among them).
 */
const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && PARSERS.has(oid) ? PARSERS.get(oid) : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

const COLUMN_TYPES = new Map<number, ColumnType>([
  [OID.int2, 'number'],
  [OID.int4, 'number'],
  [OID.int8, 'number'],
  [OID.oid, 'number'],
  [OID.float4, 'number'],
  [OID.float8, 'number'],
  [OID.numeric, 'number'],
  [OID.date, 'date'],
  [OID.timestamp, 'datetime'],
  [OID.timestamptz, 'datetime'],
  [OID.bool, 'boolean'],
  [OID.json, 'json'],
  [OID.jsonb, 'json'],
  [OID.text, 'string'],
  [OID.varchar, 'string'],
  [OID.bpchar, 'string'],
  [OID.char, 'string'],
  [OID.name, 'string'],
  [OID.uuid, 'string'],
  [OID.time, 'string'],
  [OID.timetz, 'string'],
  [OID.interval, 'string'],
  [OID.money, 'string'],
  [OID.bytea, 'string'],
]);

/** RowDescription reports a domain by its base type, so domains map too; enums and arrays are 'unknown'. */
export function columnTypeOfPgOid(oid: number): ColumnType {
  return COLUMN_TYPES.get(oid) ?? 'unknown';
}

/** `queryMode` is read by pg's Query but missing from its type definitions. */
interface ExtendedArrayQuery extends QueryArrayConfig {
  queryMode: 'extended';
  query_timeout: number;
}

/**
 * Creates a connector with its own pool. The pool connects lazily, so creating
 * a connector never fails; `test()` says whether the database answers.
 *
 * @example
 * const connector = createPostgresConnector({ host: '127.0.0.1', port: 5432, database: 'shop', user: 'reader' });
 * const { columns, rows } = await connector.execute('select id from orders where id = $1', [42], { timeoutMs: 5000, maxRows: 1000 });
 */
export function createPostgresConnector(config: PostgresConnectorConfig): Connector {
  const clientConfig = {
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: config.password,
    ssl: config.ssl ? (config.tlsServername ? { servername: config.tlsServername } : true) : false,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    // Lets a DBA tell these sessions apart in pg_stat_activity.
    application_name: 'insight-engine',
  };
  const pool = new pg.Pool({
    ...clientConfig,
    max: config.poolMax ?? 10,
    idleTimeoutMillis: config.idleTimeoutMs ?? 30_000,
    types: TYPES,
  });
  // An idle client whose connection dies (database restart, network blip)
  // emits 'error' on the pool; without a listener that would crash the
  // process. The pool has already discarded the client, so there is nothing
  // left to do: the next checkout opens a fresh connection.
  pool.on('error', () => {});

  let closing: Promise<void> | undefined;

  async function checkout(): Promise<PoolClient> {
    if (closing) throw new InsightError('ERR_DATABASE_UNAVAILABLE', 'The connector is closed');
    try {
      return await pool.connect();
    } catch (error) {
      // Whatever stopped the session (refused, timeout, failed login, a peer
      // that does not speak PostgreSQL) reads the same: see couldNotConnect.
      throw isInsightError(error) ? error : couldNotConnect(errorCode(error) ?? 'connect');
    }
  }

  /**
   * Asks the server to cancel whatever the backend is running, from a
   * separate connection (the busy one cannot be used). pg_cancel_backend
   * rather than the protocol's CancelRequest because it goes through normal
   * authentication and TLS and reports whether the backend existed.
   */
  async function cancelBackend(pid: number): Promise<void> {
    const client = new pg.Client({ ...clientConfig, application_name: 'insight-engine-cancel' });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /**
   * A cancel that reaches the backend before it starts the statement is
   * ignored by PostgreSQL, so keep asking until the statement has settled.
   * The caller holds the client checked out meanwhile: the pid cannot be
   * running anyone else's statement while we cancel it.
   */
  async function cancelUntilSettled(pid: number, statement: Promise<unknown>): Promise<void> {
    const settled = statement.then(
      () => true,
      () => true,
    );
    for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
      // When the cancel cannot be delivered the statement timeout still ends the statement.
      await cancelBackend(pid).catch(() => {});
      if (await Promise.race([settled, delay(CANCEL_RETRY_MS).then(() => false)])) return;
    }
  }

  /**
   * Runs one statement of our own making around the caller's SQL (the row
   * cap, EXPLAIN) in the envelope: read-only transaction, statement timeout,
   * extended protocol, cancel on abort.
   */
  async function runEnveloped(text: string, params: readonly unknown[], timeoutMs: number, signal: AbortSignal | undefined): Promise<QueryArrayResult> {
    if (signal?.aborted) throw new InsightError('ERR_QUERY_CANCELLED');

    const client = await checkout();
    const pid = backendPid(client);
    // A checked-out client has no error listener of the pool's; a connection
    // dying between two of our queries would otherwise crash the process.
    let broken: Error | undefined;
    const onClientError = (error: Error) => {
      broken = error;
    };
    client.on('error', onClientError);

    let aborted = false;
    let statement: Promise<QueryArrayResult> | undefined;
    let pending = false;
    let cancelling: Promise<void> | undefined;
    const onAbort = () => {
      aborted = true;
      if (pending && statement && pid !== undefined) cancelling = cancelUntilSettled(pid, statement);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // An abort while we waited for a connection fired no listener.
    if (signal?.aborted) aborted = true;

    let startedAt = Date.now();
    // Set once the statement has answered: the rows go back to the caller at
    // once and the ROLLBACK runs after, holding the connection until it ends.
    let rollbackAfter = false;
    try {
      // Our own text with a checked integer: safe as one simple-protocol round trip.
      await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeoutMs}`);
      if (aborted) throw new InsightError('ERR_QUERY_CANCELLED');

      const query: ExtendedArrayQuery = {
        text,
        values: [...params],
        rowMode: 'array',
        queryMode: 'extended',
        query_timeout: timeoutMs + CLIENT_BACKSTOP_MS,
      };
      startedAt = Date.now();
      pending = true;
      statement = client.query(query);
      const result = await statement.finally(() => {
        pending = false;
      });
      rollbackAfter = true;
      return result;
    } catch (error) {
      const translated = translate(error, { aborted, elapsedMs: Date.now() - startedAt, timeoutMs });
      if (isConnectionLost(error) || isBackstopTimeout(error)) {
        broken ??= asError(error);
      } else if (!broken) {
        // The transaction is read-only, so there is nothing to undo; ROLLBACK
        // only returns the session to a clean state. If even that fails the
        // session is in an unknown state and must not be reused.
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = asError(rollbackError);
        });
      }
      throw translated;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (cancelling) {
        await cancelling;
        // pg_cancel_backend only signals the backend; a cancel still in
        // flight could hit the next statement run on this session.
        broken ??= new Error('cancelled');
      }
      const release = () => {
        client.off('error', onClientError);
        // release(error) destroys the connection instead of pooling it, which is
        // how the pool recovers after the database comes back.
        client.release(broken);
      };
      if (rollbackAfter && !broken) {
        // Rolled back, not committed: a read-only transaction still lets a
        // function create large objects. The viewer does not wait for it, but
        // the pool does: the connection goes back only once the transaction
        // has ended, and is destroyed if the ROLLBACK fails. The statement
        // timeout (SET LOCAL) ends with the transaction, never leaking into
        // the next checkout.
        void client.query('ROLLBACK').then(release, (rollbackError: unknown) => {
          broken ??= asError(rollbackError);
          release();
        });
      } else {
        release();
      }
    }
  }

  async function execute(sql: string, params: readonly unknown[], options: ExecuteOptions): Promise<ExecuteResult> {
    const { timeoutMs, maxRows } = checkExecuteOptions(options);
    const result = await runEnveloped(capRows(sql, maxRows), params, timeoutMs, options.signal);
    const columns: ColumnInfo[] = result.fields.map((field: FieldDef) => ({
      name: field.name,
      type: columnTypeOfPgOid(field.dataTypeID),
    }));
    const truncated = result.rows.length > maxRows;
    return { columns, rows: truncated ? result.rows.slice(0, maxRows) : result.rows, truncated };
  }

  async function explain(sql: string, params: readonly unknown[], options: ExplainOptions): Promise<ExplainResult> {
    const { timeoutMs } = checkExecuteOptions({ ...options, maxRows: 0 });
    const result = await runEnveloped(explainText(sql), params, timeoutMs, options.signal);
    return { estimatedRows: planRows(result.rows[0]?.[0]) };
  }

  return {
    dialect: 'postgres',

    execute,

    explain,

    async test() {
      const client = await checkout();
      let broken: Error | undefined;
      try {
        await client.query('SELECT 1');
      } catch (error) {
        broken = asError(error);
        throw translate(error, { aborted: false, elapsedMs: 0, timeoutMs: 0 });
      } finally {
        client.release(broken);
      }
    },

    async introspect(options = {}): Promise<SchemaInfo> {
      const { timeoutMs } = checkExecuteOptions({ timeoutMs: options.timeoutMs ?? INTROSPECT_TIMEOUT_MS, maxRows: 0 });
      const client = await checkout();
      let broken: Error | undefined;
      const startedAt = Date.now();
      try {
        // The catalog reads are our own text, but they run in the envelope like any statement.
        await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeoutMs}`);
        const schema = await introspectSchema(client);
        await client.query('ROLLBACK');
        return schema;
      } catch (error) {
        if (isConnectionLost(error)) broken = asError(error);
        else await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = asError(rollbackError)));
        throw translate(error, { aborted: false, elapsedMs: Date.now() - startedAt, timeoutMs });
      } finally {
        client.release(broken);
      }
    },

    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: config.poolMax ?? 10 }),

    close() {
      // pg throws when end() is called twice; closing twice is harmless here.
      closing ??= pool.end();
      return closing;
    },
  };
}

/**
 * Applies the row cap by wrapping the statement: `SELECT * FROM (<sql>) AS
 * capped LIMIT n+1`. The extra row says whether the result was truncated.
 *
 * Why a wrapper rather than a portal fetch (Execute with a row count): pg has
 * no public API for stopping a portal after n rows (its `rows` option keeps
 * fetching until the end and does not resynchronise after an error), and
 * pg-cursor is not a dependency. The wrapper is also strictly narrower: DML,
 * a data-modifying WITH, SELECT INTO and multiple statements cannot stand in
 * a FROM subquery, so they fail to parse. PostgreSQL keeps the order of a
 * subquery's ORDER BY when the outer query only scans and limits it, and the
 * LIMIT lets the planner stop early (top-N sort, no full fetch).
 *
 * Trailing semicolons are dropped, and the statement sits on its own lines so
 * a trailing `-- comment` cannot swallow the wrapper.
 */
function capRows(sql: string, maxRows: number): string {
  const body = sql.replace(/[\s;]+$/, '');
  return `SELECT * FROM (\n${body}\n) AS capped LIMIT ${maxRows + 1}`;
}

/**
 * EXPLAIN without ANALYZE plans the statement and never runs it. The same
 * subquery wrapper as the row cap keeps it to a SELECT: DML, SELECT INTO and
 * a data-modifying WITH cannot stand in FROM.
 */
function explainText(sql: string): string {
  const body = sql.replace(/[\s;]+$/, '');
  return `EXPLAIN (FORMAT JSON) SELECT * FROM (\n${body}\n) AS explained`;
}

/** Fetches keys and columns of the current schema (normally `public`) in two catalog queries. */
async function introspectSchema(client: PoolClient): Promise<SchemaInfo> {
  // pg_catalog rather than information_schema: it also covers materialized
  // views, and has_table_privilege keeps out what the role could not read.
  const columns = await client.query<{ table_name: string; column_name: string; data_type: string; nullable: boolean }>(
    `SELECT c.relname AS table_name, a.attname AS column_name,
            format_type(a.atttypid, a.atttypmod) AS data_type, NOT a.attnotnull AS nullable
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = current_schema()
        AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND NOT c.relispartition
        AND has_table_privilege(c.oid, 'SELECT')
      ORDER BY c.relname, a.attnum`,
  );
  // One row per key column; unnest pairs a composite foreign key's columns
  // with the referenced columns in order.
  const keys = await client.query<{ table_name: string; column_name: string; kind: 'p' | 'f'; ref_table: string | null; ref_column: string | null }>(
    `SELECT c.relname AS table_name, a.attname AS column_name, con.contype AS kind,
            fc.relname AS ref_table, fa.attname AS ref_column
       FROM pg_catalog.pg_constraint con
       JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(con.conkey, con.confkey) AS k(attnum, ref_attnum)
       JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
       LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
       LEFT JOIN pg_catalog.pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.ref_attnum
      WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f')
      ORDER BY con.conname`,
  );

  const primary = new Set<string>();
  const references = new Map<string, { table: string; column: string }>();
  for (const key of keys.rows) {
    const id = `${key.table_name}\u0000${key.column_name}`;
    if (key.kind === 'p') primary.add(id);
    else if (key.ref_table && key.ref_column && !references.has(id)) {
      references.set(id, { table: key.ref_table, column: key.ref_column });
    }
  }

  const tables = new Map<string, SchemaTable>();
  for (const row of columns.rows) {
    let table = tables.get(row.table_name);
    if (!table) {
      table = { name: row.table_name, columns: [] };
      tables.set(row.table_name, table);
    }
    const id = `${row.table_name}\u0000${row.column_name}`;
    const reference = references.get(id);
    table.columns.push({
      name: row.column_name,
      dataType: row.data_type,
      nullable: row.nullable,
      primaryKey: primary.has(id),
      ...(reference ? { references: reference } : {}),
    });
  }
  return { tables: [...tables.values()] };
}

/** The backend pid from the BackendKeyData message; pg keeps it on the client but does not type it. */
function backendPid(client: PoolClient): number | undefined {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === 'number' ? pid : undefined;
}

const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * SQLSTATEs that mean the session or the server is gone or refuses us, as
 * opposed to the statement being wrong: admin/crash shutdown, starting up,
 * too many connections, unknown database, failed authentication.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '3D000', '28000', '28P01']);

/** pg reports its own connection failures as plain Errors; these are their messages. */
const PG_CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end)/;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isConnectionLost(error: unknown): boolean {
  const code = errorCode(error);
  if (code && (UNAVAILABLE_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  return error instanceof Error && PG_CONNECTION_MESSAGES.test(error.message);
}

function isBackstopTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}

/**
 * SQLSTATE classes whose messages name only identifiers and syntax from the
 * statement (undefined column, syntax error, read-only violation...). Other
 * classes, data exceptions above all, can echo a bound value
 * (`invalid input syntax for type integer: "..."`), so they get a generic text.
 */
const SAFE_MESSAGE_CLASSES = new Set(['42', '25', '0A', '21', '2B', '54']);

interface TranslateContext {
  aborted: boolean;
  elapsedMs: number;
  timeoutMs: number;
}

/**
 * Turns a pg error into ours. The driver error is deliberately not attached
 * as `cause`: its `detail`, `where` and `internalQuery` fields can carry row
 * values and SQL, and causes end up in logs.
 */
function translate(error: unknown, context: TranslateContext): InsightError {
  if (error instanceof InsightError) return error;
  // Whatever the statement died of after the caller aborted, the caller asked for it.
  if (context.aborted) return new InsightError('ERR_QUERY_CANCELLED');
  const code = errorCode(error);
  if (code === '57014') {
    // query_canceled covers both the statement timeout and a cancel sent by
    // someone else (a DBA's pg_cancel_backend); the clock tells them apart
    // without depending on the server's message language.
    return context.elapsedMs >= context.timeoutMs * 0.9
      ? new InsightError('ERR_QUERY_TIMEOUT', undefined, { timeoutMs: context.timeoutMs })
      : new InsightError('ERR_QUERY_CANCELLED');
  }
  if (isBackstopTimeout(error)) return new InsightError('ERR_QUERY_TIMEOUT', undefined, { timeoutMs: context.timeoutMs });
  if (isConnectionLost(error)) {
    return couldNotConnect(code);
  }
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const message = error instanceof Error ? error.message : '';
    const detail = SAFE_MESSAGE_CLASSES.has(code.slice(0, 2)) && message
      ? `The database could not run the query: ${truncate(message, 200)}`
      : `The database could not run the query (SQLSTATE ${code})`;
    return new InsightError('ERR_QUERY_FAILED', detail, { sqlstate: code });
  }
  // Anything else comes from the driver before reaching the server, typically
  // a parameter value it cannot serialise.
  return new InsightError('ERR_QUERY_FAILED', 'The query could not be sent to the database');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
