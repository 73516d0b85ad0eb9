/**
 * Opens the platform store: embedded PGlite under dataDir by default, or a
 * real PostgreSQL with DATABASE_URL. The same migrations run on both, at every
 * start; kysely's Migrator makes that idempotent and takes a lock so several
 * instances starting together migrate once.
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { createPGliteDialect } from './pglite-dialect.ts';
import type { StoreSchema } from './store-schema.ts';
import * as initial from './migrations/001-initial.ts';
import * as adminApi from './migrations/002-admin-api.ts';
import * as savedQueries from './migrations/003-saved-queries.ts';
import * as cardDrill from './migrations/004-card-drill.ts';
import * as storyAuthoring from './migrations/005-story-authoring.ts';
import * as identity from './migrations/006-identity.ts';
import * as orgConfig from './migrations/007-config.ts';
import * as resourceVersions from './migrations/008-resource-versions.ts';

const migrations: Record<string, Migration> = {
  '001-initial': initial,
  '002-admin-api': adminApi,
  '003-saved-queries': savedQueries,
  '004-card-drill': cardDrill,
  '005-story-authoring': storyAuthoring,
  '006-identity': identity,
  '007-config': orgConfig,
  '008-resource-versions': resourceVersions,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export interface Store {
  db: Kysely<StoreSchema>;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** PostgreSQL URL; when unset an embedded PGlite database is used. */
  databaseUrl?: string | undefined;
  /** Folder for the embedded store; `memory://` keeps it in memory (tests). */
  dataDir: string;
  /** Schema for the PostgreSQL store (tests use their own). */
  schema?: string;
  /**
   * Told of every statement the store runs, after it ran (tests count them:
   * a cached card request must run none).
   */
  onQuery?: (sql: string) => void;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  let db: Kysely<StoreSchema>;
  let kind: Store['kind'];
  const onQuery = options.onQuery;
  const log = onQuery ? { log: (event: LogEvent) => onQuery(event.query.sql) } : {};
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 10,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle client dropped by the server must not crash the process.
    pool.on('error', () => {});
    if (options.schema) {
      const client = await pool.connect();
      try {
        await client.query(`create schema if not exists "${options.schema.replace(/"/g, '')}"`);
      } finally {
        client.release();
      }
    }
    db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }), ...log });
    kind = 'postgres';
  } else {
    const dir = options.dataDir === 'memory://' ? undefined : path.join(options.dataDir, 'store');
    if (dir) mkdirSync(dir, { recursive: true });
    const lite = await PGlite.create(dir);
    db = new Kysely<StoreSchema>({ dialect: createPGliteDialect(lite), ...log });
    kind = 'pglite';
    const destroy = db.destroy.bind(db);
    db.destroy = async () => {
      await destroy();
      await lite.close();
    };
  }
  const migrator = new Migrator({ db, provider, ...(options.schema ? { migrationTableSchema: options.schema } : {}) });
  // kysely's migrator lists every table of the database to find its own; a
  // table dropped by another session mid-listing fails that query
  // (42P01), which says nothing about our migrations, so it is retried.
  let outcome = await migrator.migrateToLatest();
  for (let attempt = 1; attempt < 5 && (outcome.error as { code?: string } | undefined)?.code === '42P01'; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    outcome = await migrator.migrateToLatest();
  }
  const { error, results } = outcome;
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`platform store migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
  return { db, kind, close: () => db.destroy() };
}
