/**
 * The one surface through which the query engine reaches a customer database.
 * A connector is one file that imports its driver; nothing else imports a driver.
 */
import { InsightError } from '../errors/insight-error.ts';

export type Dialect = 'postgres' | 'mysql';

/** Logical column types the wire protocol and the components understand. */
export type ColumnType = 'number' | 'string' | 'date' | 'datetime' | 'boolean' | 'json' | 'unknown';

export interface ColumnInfo {
  name: string;
  type: ColumnType;
}

export interface ExecuteOptions {
  /** Statement timeout; the database cancels the statement past it (ERR_QUERY_TIMEOUT). */
  timeoutMs: number;
  /** Row cap: at most this many rows are returned; `truncated` says when more existed. */
  maxRows: number;
  /** Aborting cancels the running statement on the server (pg cancel / MySQL KILL QUERY). */
  signal?: AbortSignal;
}

export interface ExplainOptions {
  /** Statement timeout for planning; the database cancels past it (ERR_QUERY_TIMEOUT). */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ExplainResult {
  /**
   * The database's estimate, not a count: on PostgreSQL the rows the planner
   * expects the statement to return, on MySQL/MariaDB the rows it expects to
   * examine (the product of the joined tables' row estimates).
   */
  estimatedRows: number;
}

export interface ExecuteResult {
  columns: ColumnInfo[];
  /**
   * Rows as arrays in column order. Values are JSON-ready: numeric and bigint
   * become numbers, dates become ISO strings (`YYYY-MM-DD` for date columns).
   */
  rows: unknown[][];
  truncated: boolean;
}

export interface SchemaColumn {
  name: string;
  dataType: string;
  nullable: boolean;
  primaryKey: boolean;
  references?: { table: string; column: string };
}

export interface SchemaTable {
  name: string;
  columns: SchemaColumn[];
}

export interface SchemaInfo {
  tables: SchemaTable[];
}

/** Where a networked database (PostgreSQL, MySQL/MariaDB) is and how its pool behaves. */
export interface NetworkConnectorConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  poolMax?: number;
  idleTimeoutMs?: number;
}

/** Fail fast when the server is down instead of hanging a request on a SYN. */
export const CONNECT_TIMEOUT_MS = 3000;
/**
 * The statement timeout is enforced by the database. This client-side
 * backstop only fires when the server stops answering altogether (a network
 * partition), so that a request cannot hang on a socket forever.
 */
export const CLIENT_BACKSTOP_MS = 5000;
/** How long to wait for a cancelled statement to stop before asking again, and how often. */
export const CANCEL_RETRY_MS = 500;
export const CANCEL_ATTEMPTS = 3;
/** Statement timeout of schema introspection when the caller gives none. */
export const INTROSPECT_TIMEOUT_MS = 30_000;

export interface Connector {
  readonly dialect: Dialect;
  /**
   * Runs exactly one read-only statement with bound parameters (extended
   * protocol; there is no multi-statement path) inside a read-only transaction
   * that is rolled back, never committed: PostgreSQL lets a read-only
   * transaction create large objects (`lo_import`, `lo_from_bytea`), and
   * nothing a read leaves behind may outlive it.
   * Postgres placeholders are `$1..$n`, MySQL placeholders are `?`.
   */
  execute(sql: string, params: readonly unknown[], options: ExecuteOptions): Promise<ExecuteResult>;
  /**
   * Plans one SELECT without running it (EXPLAIN, never ANALYZE) in the same
   * read-only envelope as execute, with bound parameters. Callers pass SQL the
   * SQL guard regenerated, never raw input. Connectors without a planner to
   * ask leave it out.
   */
  explain?(sql: string, params: readonly unknown[], options: ExplainOptions): Promise<ExplainResult>;
  /** Cheap round trip (`SELECT 1`); throws ERR_DATABASE_UNAVAILABLE when the database cannot be reached. */
  test(): Promise<void>;
  /**
   * Tables of the connection's default schema/database with columns and keys,
   * read in the same envelope as execute: a read-only transaction, rolled
   * back, under a statement timeout (INTROSPECT_TIMEOUT_MS by default).
   */
  introspect(options?: Partial<ExplainOptions>): Promise<SchemaInfo>;
  /** Pool usage for the metrics; connectors without a pool leave it out. */
  poolStats?(): { total: number; idle: number; waiting: number; max: number };
  close(): Promise<void>;
}

/**
 * The one answer a caller gets whenever a database cannot be reached:
 * refused, timed out, unknown name, failed login or something that is not a
 * database at all. Telling these apart would let anyone who can create a
 * connection scan the server's network. `reason` (an errno or SQLSTATE) is
 * kept as the cause, which is logged and never rendered.
 */
export function couldNotConnect(reason?: string | number): InsightError {
  return new InsightError('ERR_DATABASE_UNAVAILABLE', 'could not connect', undefined, reason !== undefined ? { cause: { reason } } : undefined);
}
