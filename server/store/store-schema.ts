/**
 * Tables of the platform store, as kysely sees them. JSON columns are jsonb:
 * written as JSON text, read back as parsed values.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;
type Json<T> = ColumnType<T, string, string>;

export interface OrganisationsTable {
  id: string;
  name: string;
  slug: string;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: string;
  org_id: string;
  email: string;
  name: string;
  password_hash: string | null;
  role: string;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: string;
  org_id: string;
  name: string;
  /** First characters of the key, to recognise it in lists; the key itself is only hashed. */
  prefix: string;
  key_hash: string;
  role: string;
  created_at: CreatedAt;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface EmbedKeysTable {
  /** The `kid` a token names in its header. */
  id: string;
  org_id: string;
  name: string;
  secret_sealed: string;
  allowed_origins: Json<string[]>;
  max_ttl_seconds: number;
  created_at: CreatedAt;
  revoked_at: Date | null;
  /** Optimistic concurrency: 1 at creation, incremented by every write (server/store/resource-version.ts). */
  version: Generated<number>;
}

export interface ConnectionsTable {
  id: string;
  org_id: string;
  name: string;
  type: string;
  /** Driver settings including credentials, sealed with AES-256-GCM. */
  config_sealed: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Optimistic concurrency: 1 at creation, incremented by every write (server/store/resource-version.ts). */
  version: Generated<number>;
}

export interface DatasetColumn {
  name: string;
  label?: string;
  description?: string;
  type: 'number' | 'string' | 'date' | 'datetime' | 'boolean';
  role: 'dimension' | 'measure' | 'time';
  synonyms?: string[];
  format?: string;
}

export interface DatasetsTable {
  id: string;
  org_id: string;
  connection_id: string;
  name: string;
  label: string;
  description: string | null;
  source_table: string | null;
  source_sql: string | null;
  columns: Json<DatasetColumn[]>;
  row_policy: string | null;
  cache_ttl_seconds: number | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface StoriesTable {
  id: string;
  org_id: string;
  slug: string;
  title: string;
  description: string | null;
  status: 'draft' | 'published';
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  collection_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The version viewers see; null while the story is not published. */
  published_version: ColumnType<number | null, number | null | undefined, number | null>;
  published_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  published_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** Optimistic concurrency: 1 at creation, incremented by every write (server/store/resource-version.ts). */
  version: Generated<number>;
}

export interface CollectionsTable {
  id: string;
  org_id: string;
  parent_id: string | null;
  name: string;
  description: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Optimistic concurrency: 1 at creation, incremented by every write (server/store/resource-version.ts). */
  version: Generated<number>;
}

export interface StoryVersionsTable {
  story_id: string;
  version: number;
  /** The story definition as published, each page, card and filter carrying its id (server/stories/story-draft.ts). */
  definition: Json<unknown>;
  published_at: CreatedAt;
  published_by: string | null;
}

export type ShareLevel = 'view' | 'edit' | 'admin';

export interface StorySharesTable {
  story_id: string;
  user_id: string;
  level: ShareLevel;
  granted_by: string | null;
  created_at: CreatedAt;
}

export interface PagesTable {
  id: string;
  story_id: string;
  key: string;
  position: number;
  title: string;
  narrative: string | null;
  layout: string;
}

export interface CardsTable {
  id: string;
  story_id: string;
  page_id: string;
  key: string;
  position: number;
  type: string;
  title: string;
  description: string | null;
  query: Json<unknown> | null;
  visualization: Json<unknown> | null;
  options: Json<Record<string, unknown>>;
  /** A DrillTarget (sdk/protocol.ts), or null. */
  drill: Json<unknown> | null;
}

export interface FiltersTable {
  id: string;
  story_id: string;
  key: string;
  position: number;
  label: string;
  type: string;
  column_name: string;
  dataset_name: string;
  default_value: Json<unknown> | null;
  options: Json<Record<string, unknown>>;
}

export interface ConnectionSchemasTable {
  connection_id: string;
  org_id: string;
  /** The connector's `SchemaInfo` as of `fetched_at`. */
  schema: Json<unknown>;
  fetched_at: Date;
}

export type QueryActorType = 'api_key' | 'user' | 'embed';

export interface QueryHistoryTable {
  id: string;
  org_id: string;
  /** API key id, user id or the embed token's `sub` (its key id without one); null for internal runs. */
  actor: string | null;
  actor_type: QueryActorType | null;
  dataset_name: string;
  connection_id: string | null;
  duration_ms: number;
  /** Rows returned; null when the query failed. */
  row_count: number | null;
  from_cache: boolean;
  /** Identical cache hits of one viewer within a flush window share a row; this counts them. */
  runs: ColumnType<number, number | undefined, number>;
  status: 'ok' | 'error';
  error_code: string | null;
  created_at: Date;
}

export interface SavedQueriesTable {
  id: string;
  org_id: string;
  /** Unique within the organisation. */
  name: string;
  description: string | null;
  kind: 'structured' | 'sql';
  /** The structured query (kind `structured`). */
  query: Json<unknown> | null;
  /** The connection whose datasets the SQL reads (kind `sql`). */
  connection_id: string | null;
  /** SQL over datasets with `{{param}}` placeholders (kind `sql`). */
  sql: string | null;
  cache_ttl_seconds: number | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Optimistic concurrency: 1 at creation, incremented by every write (server/store/resource-version.ts). */
  version: Generated<number>;
}

/** A custom role of one organisation; users and API keys name it by id in their `role`. */
export interface RolesTable {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  /** Permission strings (server/auth/permissions.ts). */
  permissions: Json<string[]>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Optimistic concurrency: 1 at creation, incremented by every write (server/store/resource-version.ts). */
  version: Generated<number>;
}

/** A login: the family of refresh tokens issued from it. */
export interface SessionsTable {
  id: string;
  org_id: string;
  user_id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: CreatedAt;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

export interface RefreshTokensTable {
  /** sha256 of the opaque token; the token itself is never stored. */
  token_hash: string;
  session_id: string;
  created_at: CreatedAt;
  expires_at: Date;
  /** Set when the token was exchanged; a second exchange is a reuse. */
  used_at: Date | null;
}

export interface LoginAttemptsTable {
  /** sha256 of the email and client address. */
  key: string;
  failures: number;
  first_failure_at: Date;
  locked_until: Date | null;
}

export interface RevokedEmbedTokensTable {
  org_id: string;
  jti: string;
  /** The token's own expiry: past it the entry is no longer needed. */
  expires_at: Date;
  created_at: CreatedAt;
}

export type AuditActorType = 'user' | 'api_key' | 'embed';

export interface AuditLogTable {
  id: string;
  org_id: string;
  actor_type: AuditActorType;
  actor_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  status: number | null;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
  ip: string | null;
  user_agent: string | null;
  dedupe_key: string | null;
  created_at: CreatedAt;
}

/** One organisation's settings document (server/config-store/org-config.ts); absent members use the server defaults. */
export interface OrgSettingsTable {
  org_id: string;
  settings: Json<Record<string, unknown>>;
  updated_at: UpdatedAt;
}

export interface StoreSchema {
  organisations: OrganisationsTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  embed_keys: EmbedKeysTable;
  connections: ConnectionsTable;
  datasets: DatasetsTable;
  stories: StoriesTable;
  pages: PagesTable;
  cards: CardsTable;
  filters: FiltersTable;
  connection_schemas: ConnectionSchemasTable;
  query_history: QueryHistoryTable;
  saved_queries: SavedQueriesTable;
  collections: CollectionsTable;
  story_versions: StoryVersionsTable;
  story_shares: StorySharesTable;
  roles: RolesTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  login_attempts: LoginAttemptsTable;
  revoked_embed_tokens: RevokedEmbedTokensTable;
  audit_log: AuditLogTable;
  org_settings: OrgSettingsTable;
}

export type DatasetRow = Selectable<DatasetsTable>;
export type ConnectionRow = Selectable<ConnectionsTable>;
export type StoryRow = Selectable<StoriesTable>;
export type PageRow = Selectable<PagesTable>;
export type CardRow = Selectable<CardsTable>;
export type FilterRow = Selectable<FiltersTable>;
export type EmbedKeyRow = Selectable<EmbedKeysTable>;
export type NewCard = Insertable<CardsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type QueryHistoryRow = Selectable<QueryHistoryTable>;
export type SavedQueryRow = Selectable<SavedQueriesTable>;
export type CollectionRow = Selectable<CollectionsTable>;
export type StoryShareRow = Selectable<StorySharesTable>;
export type RoleRow = Selectable<RolesTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
