/**
 * Connector for a customer's MySQL or MariaDB, through one mysql2 pool per
 * connection.
 *
 * Every statement runs in the envelope of ARCHITECTURE.md section 4: a
 * read-only transaction, a server-side statement timeout, a row cap and bound
 * parameters. Statements go through server-side prepared statements
 * (`execute`), not mysql2's client-side `?` interpolation: a prepared
 * statement holds exactly one statement and its parameters never become SQL
 * text, so neither `SELECT 1; SELECT 2` nor a server running with
 * NO_BACKSLASH_ESCAPES (which defeats client-side escaping) can turn a value
 * into SQL.
 */
import mysql from 'mysql2/promise';
import type { FieldPacket, Pool, PoolConnection } from 'mysql2/promise';
import type { Connection as CoreConnection, ExecuteValues, PoolConnection as CorePoolConnection } from 'mysql2';
import { InsightError } from '../errors/insight-error.ts';
import { checkExecuteOptions } from './check-execute-options.ts';
import { CANCEL_ATTEMPTS, CANCEL_RETRY_MS, CLIENT_BACKSTOP_MS, CONNECT_TIMEOUT_MS, INTROSPECT_TIMEOUT_MS, couldNotConnect, type ColumnInfo, type ColumnType, type Connector, type ExecuteOptions, type ExecuteResult, type ExplainOptions, type ExplainResult, type NetworkConnectorConfig, type SchemaInfo, type SchemaTable } from './connector.ts';
import { examinedRows } from './explain-estimate.ts';
import { toIsoDatetime } from './to-iso-datetime.ts';

export type MysqlConnectorConfig = NetworkConnectorConfig;

/**
 * mysql2 keeps up to 16000 prepared statements per connection by default;
 * arbitrary SQL from many dashboards would pile them up against the server's
 * global max_prepared_stmt_count. Evicted statements are closed on the server.
 */
const MAX_PREPARED_STATEMENTS = 64;

type Flavour = 'mariadb' | 'mysql';

/** mysql2's column type codes (the protocol's MYSQL_TYPE_*). */
const T = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

/** The `binary` collation: a string column with it holds bytes, not text. */
const BINARY_CHARSET = 63;

const NUMBER_TYPES: ReadonlySet<number> = new Set([
  T.DECIMAL,
  T.NEWDECIMAL,
  T.TINY,
  T.SHORT,
  T.LONG,
  T.INT24,
  T.LONGLONG,
  T.FLOAT,
  T.DOUBLE,
  T.YEAR,
]);
const STRING_TYPES: ReadonlySet<number> = new Set([
  T.VARCHAR,
  T.VAR_STRING,
  T.STRING,
  T.ENUM,
  T.SET,
  T.TINY_BLOB,
  T.MEDIUM_BLOB,
  T.LONG_BLOB,
  T.BLOB,
  T.TIME,
]);

interface ColumnReader {
  type: ColumnType;
  read: (value: unknown) => unknown;
}

const same = (value: unknown) => value;
/** DECIMAL and BIGINT arrive as strings (bigNumberStrings) so none is silently rounded by the driver; the contract wants numbers. */
const toNumber = (value: unknown) => (typeof value === 'string' ? Number(value) : value);
const toBoolean = (value: unknown) => (Buffer.isBuffer(value) ? value.some((byte) => byte !== 0) : Number(value) !== 0);
const bitsToNumber = (value: unknown) => (Buffer.isBuffer(value) ? value.reduce((sum, byte) => sum * 256 + byte, 0) : value);
const datetime = (value: unknown) => (typeof value === 'string' ? toIsoDatetime(value) : value);
/** Bytes as PostgreSQL prints bytea, rather than Buffer's `{type, data}` JSON. */
const bytesToHex = (value: unknown) => (Buffer.isBuffer(value) ? `\\x${value.toString('hex')}` : value);

/**
 * Chooses the logical type and value conversion of a result column.
 * TINYINT(1) and BIT(1) are read as booleans: MySQL has no boolean type and
 * BOOLEAN columns are TINYINT(1), the convention every MySQL driver follows.
 * DATETIME and TIMESTAMP are rendered like the other connectors' timestamps;
 * they carry no zone, so TIMESTAMP shows the session time zone's wall time.
 */
export function columnReaderOf(field: FieldPacket): ColumnReader {
  const type = field.columnType ?? field.type ?? -1;
  if ((type === T.TINY || type === T.BIT) && field.columnLength === 1) return { type: 'boolean', read: toBoolean };
  if (type === T.BIT) return { type: 'number', read: bitsToNumber };
  if (NUMBER_TYPES.has(type)) return { type: 'number', read: toNumber };
  if (type === T.DATE || type === T.NEWDATE) return { type: 'date', read: same };
  if (type === T.DATETIME || type === T.TIMESTAMP) return { type: 'datetime', read: datetime };
  // MariaDB's JSON is LONGTEXT; its extended metadata still says json and mysql2 parses it.
  if (type === T.JSON || field.extendedFormat === 'json') return { type: 'json', read: same };
  if (STRING_TYPES.has(type)) {
    return field.characterSet === BINARY_CHARSET && type !== T.TIME ? { type: 'string', read: bytesToHex } : { type: 'string', read: same };
  }
  return { type: 'unknown', read: same };
}

/**
 * Creates a connector with its own pool. The pool connects lazily, so creating
 * a connector never fails; `test()` says whether the database answers.
 *
 * @example
 * const connector = createMysqlConnector({ host: '127.0.0.1', port: 3306, database: 'shop', user: 'reader' });
 * const { rows } = await connector.execute('select id from orders where id = ?', [42], { timeoutMs: 5000, maxRows: 1000 });
 */
export function createMysqlConnector(config: MysqlConnectorConfig): Connector {
  const connectionConfig = {
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: config.password,
    connectTimeout: CONNECT_TIMEOUT_MS,
    charset: 'utf8mb4',
  };
  const poolMax = config.poolMax ?? 10;
  const pool: Pool = mysql.createPool({
    ...connectionConfig,
    connectionLimit: poolMax,
    // mysql2 only reaps idle connections when maxIdle < connectionLimit; it
    // then closes any connection idle for longer than idleTimeout.
    maxIdle: Math.max(poolMax - 1, 0),
    idleTimeout: config.idleTimeoutMs ?? 30_000,
    enableKeepAlive: true,
    multipleStatements: false,
    // DATE/DATETIME as the server prints them: no detour through a JS Date in
    // the process time zone, which would shift dates across midnight.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    maxPreparedStatements: MAX_PREPARED_STATEMENTS,
  });

  pool.pool.on('connection', (connection: CorePoolConnection) => {
    // mysql2 listens for a pooled connection's first 'error' only; a later one
    // (a write after the socket died) would be unhandled and crash the process.
    connection.on('error', () => {});
    // Session-wide read-only as well as per transaction: DDL commits the
    // current transaction implicitly, and what follows the commit would
    // otherwise run read-write. Queued before the caller's first command, so
    // it always runs first. Fail closed: a session that could not be made
    // read-only is destroyed, and the caller's commands fail with it.
    connection.query('SET SESSION TRANSACTION READ ONLY', (error) => {
      if (error) connection.destroy();
    });
  });

  let flavour: Flavour | undefined;
  let closing: Promise<void> | undefined;

  async function checkout(): Promise<PoolConnection> {
    if (closing) throw new InsightError('ERR_DATABASE_UNAVAILABLE', 'The connector is closed');
    try {
      return await pool.getConnection();
    } catch (error) {
      // Whatever stopped the session (refused, timeout, failed login, a peer
      // that does not speak MySQL) reads the same: see couldNotConnect.
      if (error instanceof InsightError) throw error;
      const { code, errno } = (error ?? {}) as DriverError;
      throw couldNotConnect(typeof code === 'string' ? code : typeof errno === 'number' ? errno : 'connect');
    }
  }

  /**
   * MariaDB and MySQL name and scale the statement timeout differently
   * (max_statement_time in seconds, max_execution_time in milliseconds).
   */
  async function serverFlavour(connection: PoolConnection): Promise<Flavour> {
    if (!flavour) {
      const [rows] = await connection.query<mysql.RowDataPacket[]>({ sql: 'SELECT VERSION() AS version', rowsAsArray: false });
      flavour = /mariadb/i.test(String(rows[0]?.version)) ? 'mariadb' : 'mysql';
    }
    return flavour;
  }

  /**
   * KILL QUERY from a separate connection (the busy one cannot speak). A KILL
   * that lands before the statement starts is dropped by the server, so keep
   * killing until the statement has settled.
   */
  async function killUntilSettled(threadId: number, statement: Promise<unknown>): Promise<void> {
    const settled = statement.then(
      () => true,
      () => true,
    );
    for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
      // When the KILL cannot be delivered the statement timeout still ends the statement.
      await killQuery(threadId).catch(() => {});
      if (await Promise.race([settled, delay(CANCEL_RETRY_MS).then(() => false)])) return;
    }
  }

  async function killQuery(threadId: number): Promise<void> {
    const killer = await mysql.createConnection(connectionConfig);
    killer.on('error', () => {});
    try {
      // threadId comes from the server handshake and is an integer.
      await killer.query(`KILL QUERY ${Number(threadId)}`);
    } finally {
      await killer.end().catch(() => killer.destroy());
    }
  }

  /**
   * Runs one prepared statement in the envelope (session timeout and select
   * limit, read-only transaction, KILL QUERY on abort) and keeps at most
   * `keep` rows of it.
   */
  async function runEnveloped(sql: string, params: readonly unknown[], limits: { timeoutMs: number; selectLimit: number | undefined; keep: number }, signal: AbortSignal | undefined): Promise<RawResult> {
    const { timeoutMs } = limits;
    if (signal?.aborted) throw new InsightError('ERR_QUERY_CANCELLED');

    const connection = await checkout();
    // The callback-style connection under the promise wrapper: it streams rows.
    const core = connection.connection as unknown as CoreConnection;
    // A connection that may be in an unknown state is destroyed, not pooled.
    let discard = false;

    let aborted = false;
    let statement: Promise<RawResult> | undefined;
    let pending = false;
    let killing: Promise<void> | undefined;
    const onAbort = () => {
      aborted = true;
      if (pending && statement) killing = killUntilSettled(core.threadId, statement);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // An abort while we waited for a connection fired no listener.
    if (signal?.aborted) aborted = true;

    let startedAt = Date.now();
    // Set once the session variables are changed: the connection must not go back to the pool with them.
    let resetLimits: string | undefined;
    try {
      const session = sessionLimits(await serverFlavour(connection), timeoutMs, limits.selectLimit);
      resetLimits = session.reset;
      await connection.query(session.set);
      await connection.query('START TRANSACTION READ ONLY');
      if (aborted) throw new InsightError('ERR_QUERY_CANCELLED');

      startedAt = Date.now();
      pending = true;
      statement = streamRows(core, sql, params, limits.keep, timeoutMs + CLIENT_BACKSTOP_MS);
      const result = await statement.finally(() => {
        pending = false;
      });
      // Rolled back, not committed, as on every connector: nothing a read leaves behind outlives it.
      await connection.query('ROLLBACK');
      await connection.query(session.reset);
      return result;
    } catch (error) {
      const translated = translate(error, { aborted, elapsedMs: Date.now() - startedAt, timeoutMs });
      if (aborted || isConnectionError(error) || isBackstopTimeout(error)) {
        discard = true;
      } else {
        // Nothing to undo in a read-only transaction: ROLLBACK and the reset
        // only hand the next user a clean session. Failing that, drop it.
        try {
          await connection.query('ROLLBACK');
          if (resetLimits) await connection.query(resetLimits);
        } catch {
          discard = true;
        }
      }
      throw translated;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (killing) {
        await killing;
        // A KILL still travelling could hit the next statement on this thread.
        discard = true;
      }
      if (discard) connection.destroy();
      else connection.release();
    }
  }

  async function execute(sql: string, params: readonly unknown[], options: ExecuteOptions): Promise<ExecuteResult> {
    const { timeoutMs, maxRows } = checkExecuteOptions(options);
    const { fields, rows } = await runEnveloped(sql, params, { timeoutMs, selectLimit: maxRows + 1, keep: maxRows + 1 }, options.signal);
    const readers = fields.map(columnReaderOf);
    const columns: ColumnInfo[] = fields.map((field, i) => ({ name: field.name, type: readers[i]!.type }));
    const truncated = rows.length > maxRows;
    const kept = truncated ? rows.slice(0, maxRows) : rows;
    return { columns, rows: kept.map((row) => row.map((value, i) => (value === null ? null : readers[i]!.read(value)))), truncated };
  }

  /**
   * EXPLAIN FORMAT=JSON plans without running (never ANALYZE). The derived
   * table keeps it to a SELECT: no DML or INTO can stand in FROM. The select
   * limit stays at its default so that it cannot shape the plan.
   */
  async function explain(sql: string, params: readonly unknown[], options: ExplainOptions): Promise<ExplainResult> {
    const { timeoutMs } = checkExecuteOptions({ ...options, maxRows: 0 });
    const body = sql.replace(/[\s;]+$/, '');
    const { rows } = await runEnveloped(`EXPLAIN FORMAT=JSON SELECT * FROM (\n${body}\n) AS explained`, params, { timeoutMs, selectLimit: undefined, keep: 1 }, options.signal);
    return { estimatedRows: examinedRows(rows[0]?.[0]) };
  }

  return {
    dialect: 'mysql',

    execute,

    explain,

    async test() {
      const connection = await checkout();
      let discard = false;
      try {
        await connection.query('SELECT 1');
      } catch (error) {
        discard = true;
        throw translate(error, NO_STATEMENT);
      } finally {
        if (discard) connection.destroy();
        else connection.release();
      }
    },

    async introspect(options = {}): Promise<SchemaInfo> {
      const { timeoutMs } = checkExecuteOptions({ timeoutMs: options.timeoutMs ?? INTROSPECT_TIMEOUT_MS, maxRows: 0 });
      const connection = await checkout();
      let discard = false;
      try {
        // The catalog reads are our own text, but they run in the envelope like any statement.
        const session = sessionLimits(await serverFlavour(connection), timeoutMs, undefined);
        await connection.query(session.set);
        await connection.query('START TRANSACTION READ ONLY');
        const schema = await introspectSchema(connection);
        await connection.query('ROLLBACK');
        await connection.query(session.reset);
        return schema;
      } catch (error) {
        // The session may hold changed limits or an open transaction: a fresh connection is simpler than undoing them.
        discard = true;
        throw translate(error, { aborted: false, elapsedMs: timeoutMs, timeoutMs });
      } finally {
        if (discard) connection.destroy();
        else connection.release();
      }
    },

    // mysql2 keeps its pool counts in private queues; read-only, for the metrics.
    poolStats: () => ((q) => ({ total: q._allConnections.length, idle: q._freeConnections.length, waiting: q._connectionQueue.length, max: poolMax }))(pool.pool as unknown as Record<'_allConnections' | '_freeConnections' | '_connectionQueue', { length: number }>),

    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}

interface RawResult {
  fields: FieldPacket[];
  rows: unknown[][];
}

/**
 * Runs the prepared statement and keeps at most `keep` rows of its first
 * result set. sql_select_limit already stops the server after that many rows;
 * this bounds memory when the statement's own LIMIT overrides it.
 */
function streamRows(core: CoreConnection, sql: string, params: readonly unknown[], keep: number, timeout: number): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    let fields: FieldPacket[] = [];
    const rows: unknown[][] = [];
    let settled = false;
    // A failed prepare emits 'error' and then 'end'; only the first counts.
    const settle = (error: unknown) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve({ fields, rows });
    };
    try {
      const command = core.execute({ sql, rowsAsArray: true, timeout }, [...params] as ExecuteValues[]);
      command.on('fields', (received: unknown, index: number) => {
        if (index === 0) fields = received as FieldPacket[];
      });
      command.on('result', (row: unknown, index: number) => {
        if (index === 0 && Array.isArray(row) && rows.length < keep) rows.push(row);
      });
      command.on('error', (error: unknown) => settle(error));
      command.on('end', () => settle(undefined));
    } catch (error) {
      // mysql2 throws synchronously for parameters it refuses (undefined, functions).
      settle(error);
    }
  });
}

/**
 * The statement timeout and row cap as session variables: SET takes no
 * placeholders, and both values are integers checked by checkExecuteOptions.
 * sql_select_limit caps the outermost SELECT only, so unlike a wrapping
 * `SELECT * FROM (...) LIMIT n` it neither changes the statement's meaning
 * (MariaDB drops ORDER BY in derived tables) nor fails on duplicate column
 * names (which a derived table refuses).
 */
function sessionLimits(flavour: Flavour, timeoutMs: number, selectLimit: number | undefined): { set: string; reset: string } {
  const timeout = flavour === 'mariadb' ? `max_statement_time = ${timeoutMs / 1000}` : `max_execution_time = ${timeoutMs}`;
  return { set: `SET SESSION ${timeout}, sql_select_limit = ${selectLimit ?? 'DEFAULT'}`, reset: RESET_LIMITS[flavour] };
}

const RESET_LIMITS: Record<Flavour, string> = {
  mariadb: 'SET SESSION max_statement_time = DEFAULT, sql_select_limit = DEFAULT',
  mysql: 'SET SESSION max_execution_time = DEFAULT, sql_select_limit = DEFAULT',
};

/** Reads tables, columns and keys of the connection's database from information_schema. */
async function introspectSchema(connection: PoolConnection): Promise<SchemaInfo> {
  const [columns] = await connection.query<mysql.RowDataPacket[]>(
    `SELECT c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name, c.COLUMN_TYPE AS data_type,
            c.IS_NULLABLE AS is_nullable
       FROM information_schema.COLUMNS c
      WHERE c.TABLE_SCHEMA = DATABASE()
      ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
  );
  const [keys] = await connection.query<mysql.RowDataPacket[]>(
    `SELECT k.TABLE_NAME AS table_name, k.COLUMN_NAME AS column_name, k.CONSTRAINT_NAME AS constraint_name,
            k.REFERENCED_TABLE_NAME AS ref_table, k.REFERENCED_COLUMN_NAME AS ref_column
       FROM information_schema.KEY_COLUMN_USAGE k
      WHERE k.TABLE_SCHEMA = DATABASE()
        AND (k.CONSTRAINT_NAME = 'PRIMARY' OR k.REFERENCED_TABLE_NAME IS NOT NULL)
      ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
  );

  const primary = new Set<string>();
  const references = new Map<string, { table: string; column: string }>();
  for (const key of keys) {
    const id = `${key.table_name}\u0000${key.column_name}`;
    if (key.constraint_name === 'PRIMARY') primary.add(id);
    else if (!references.has(id)) references.set(id, { table: String(key.ref_table), column: String(key.ref_column) });
  }

  const tables = new Map<string, SchemaTable>();
  for (const row of columns) {
    const tableName = String(row.table_name);
    let table = tables.get(tableName);
    if (!table) {
      table = { name: tableName, columns: [] };
      tables.set(tableName, table);
    }
    const id = `${tableName}\u0000${row.column_name}`;
    const reference = references.get(id);
    table.columns.push({
      name: String(row.column_name),
      dataType: String(row.data_type),
      nullable: row.is_nullable === 'YES',
      primaryKey: primary.has(id),
      ...(reference ? { references: reference } : {}),
    });
  }
  return { tables: [...tables.values()] };
}

const UNAVAILABLE_CODES = new Set([
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
  'PROTOCOL_CONNECTION_LOST',
]);

/**
 * Server errors that mean we cannot have a session, as opposed to the
 * statement being wrong: too many connections (1040), access denied
 * (1044, 1045), unknown database (1049), shutdown (1053), aborted connection
 * (1152), connection killed (MariaDB 1927), disconnected for inactivity (4031).
 */
const UNAVAILABLE_ERRNOS = new Set([1040, 1044, 1045, 1049, 1053, 1152, 1927, 4031]);

/** Statement timeout: MariaDB's max_statement_time (1969), MySQL's max_execution_time (3024). */
const TIMEOUT_ERRNOS = new Set([1969, 3024]);
/** ER_QUERY_INTERRUPTED: a KILL QUERY, ours or a DBA's. */
const INTERRUPTED_ERRNO = 1317;

interface DriverError {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  fatal?: unknown;
  message?: unknown;
}

function isConnectionError(error: unknown): boolean {
  const { code, errno, fatal, message } = (error ?? {}) as DriverError;
  if (fatal === true) return true;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  if (typeof errno === 'number' && UNAVAILABLE_ERRNOS.has(errno)) return true;
  return typeof message === 'string' && /^(Pool is closed|Can't add new command when connection is in closed state)/.test(message);
}

function isBackstopTimeout(error: unknown): boolean {
  return (error as DriverError | null)?.code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

/**
 * SQLSTATE classes whose messages name only identifiers and syntax from the
 * statement (42: syntax, unknown table or column, access; 25: read-only
 * transaction). Others can quote a value (`Truncated incorrect DOUBLE value:
 * '...'`), so they get a generic text.
 */
const SAFE_MESSAGE_CLASSES = new Set(['42', '25']);

interface TranslateContext {
  aborted: boolean;
  elapsedMs: number;
  timeoutMs: number;
}

const NO_STATEMENT: TranslateContext = { aborted: false, elapsedMs: 0, timeoutMs: 0 };

/**
 * Turns a mysql2 error into ours. The driver error is deliberately not
 * attached as `cause`: it carries the SQL (`sql`) and messages that can quote
 * values, and causes end up in logs.
 */
function translate(error: unknown, context: TranslateContext): InsightError {
  if (error instanceof InsightError) return error;
  // Whatever the statement died of after the caller aborted, the caller asked for it.
  if (context.aborted) return new InsightError('ERR_QUERY_CANCELLED');
  const { errno, sqlState, message, code } = (error ?? {}) as DriverError;
  if ((typeof errno === 'number' && TIMEOUT_ERRNOS.has(errno)) || isBackstopTimeout(error)) {
    return new InsightError('ERR_QUERY_TIMEOUT', undefined, { timeoutMs: context.timeoutMs });
  }
  if (errno === INTERRUPTED_ERRNO) {
    // Someone else's KILL QUERY, unless it came when the timeout was due.
    return context.elapsedMs >= context.timeoutMs * 0.9
      ? new InsightError('ERR_QUERY_TIMEOUT', undefined, { timeoutMs: context.timeoutMs })
      : new InsightError('ERR_QUERY_CANCELLED');
  }
  if (isConnectionError(error)) {
    return couldNotConnect(typeof code === 'string' ? code : typeof errno === 'number' ? errno : undefined);
  }
  if (typeof sqlState === 'string' && sqlState.length === 5) {
    const detail = SAFE_MESSAGE_CLASSES.has(sqlState.slice(0, 2)) && typeof message === 'string'
      ? `The database could not run the query: ${truncate(message, 200)}`
      : `The database could not run the query (SQLSTATE ${sqlState}${typeof errno === 'number' ? `, error ${errno}` : ''})`;
    return new InsightError('ERR_QUERY_FAILED', detail, { sqlstate: sqlState, ...(typeof errno === 'number' ? { errno } : {}) });
  }
  // Anything else comes from the driver before reaching the server, typically
  // a parameter value it cannot send.
  return new InsightError('ERR_QUERY_FAILED', 'The query could not be sent to the database');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
