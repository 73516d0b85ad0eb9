/**
 * Provisions the demo at start: the embedded warehouse (seeded once), its
 * connection, the governed `sales` dataset and, on first start, the
 * `retail-overview` story from its JSON file.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Kysely } from 'kysely';
import type { ConnectionRegistry, ConnectionSettings } from '../connectors/connection-registry.ts';
import { createPGliteConnector } from '../connectors/pglite-connector.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { DatasetDefinition, DatasetRepository } from '../datasets/dataset-repository.ts';
import type { StoreSchema } from '../store/store-schema.ts';
import type { StoryRepository } from '../stories/story-repository.ts';
import { seedDemoWarehouse } from './seed-warehouse.ts';

export const DEMO_CONNECTION_ID = 'conn_demo';
/** Folder of the demo warehouse in the data dir (the connection registry allows it for the default organisation). */
export const DEMO_WAREHOUSE_PATH = 'demo-warehouse';
export const DEMO_STORY_FILE = new URL('./retail-overview.story.json', import.meta.url);

export const SALES_DATASET: Omit<DatasetDefinition, 'connectionId'> = {
  name: 'sales',
  label: 'Sales',
  description: 'Order lines with their order, customer, region and product category.',
  table: 'sales_facts',
  rowPolicy: 'tenant_id = {{tenant_id}}',
  columns: [
    { name: 'order_id', label: 'Order', type: 'number', role: 'dimension' },
    { name: 'order_date', label: 'Order date', type: 'date', role: 'time', synonyms: ['date', 'day', 'when'] },
    { name: 'status', label: 'Status', type: 'string', role: 'dimension' },
    { name: 'region', label: 'Region', type: 'string', role: 'dimension', synonyms: ['area', 'territory'] },
    { name: 'customer', label: 'Customer', type: 'string', role: 'dimension', synonyms: ['client', 'buyer'] },
    { name: 'segment', label: 'Segment', type: 'string', role: 'dimension' },
    { name: 'category', label: 'Category', type: 'string', role: 'dimension', synonyms: ['product category'] },
    { name: 'product', label: 'Product', type: 'string', role: 'dimension', synonyms: ['item'] },
    { name: 'quantity', label: 'Units', type: 'number', role: 'measure', synonyms: ['units', 'items sold'] },
    { name: 'revenue', label: 'Revenue', type: 'number', role: 'measure', synonyms: ['sales', 'income', 'turnover'], format: 'currency:USD' },
  ],
};

export interface ProvisionDemoOptions {
  dataDir: string;
  /** Keep the warehouse in memory (tests). */
  inMemory?: boolean;
  orders: number;
  /** Called when this start has to seed the warehouse (the first start), before it does. */
  onSeeding?: () => void;
}

export async function provisionDemo(
  deps: { db: Kysely<StoreSchema>; box: SecretBox; connections: ConnectionRegistry; datasets: DatasetRepository; stories: StoryRepository; orgId: string },
  options: ProvisionDemoOptions,
): Promise<{ seeded: boolean; storyCreated: boolean }> {
  const warehousePath = DEMO_WAREHOUSE_PATH;
  if (!options.inMemory) await mkdir(options.dataDir, { recursive: true });
  const warehouse = await PGlite.create(options.inMemory ? undefined : path.join(options.dataDir, warehousePath));
  const seeded = await seedDemoWarehouse(warehouse, { orders: options.orders, ...(options.onSeeding ? { onSeeding: options.onSeeding } : {}) });
  deps.connections.attach(deps.orgId, DEMO_CONNECTION_ID, createPGliteConnector(warehouse, { ownsDatabase: true }));

  const settings: ConnectionSettings = { type: 'pglite', path: warehousePath };
  await deps.db
    .insertInto('connections')
    .values({ id: DEMO_CONNECTION_ID, org_id: deps.orgId, name: 'demo', type: 'pglite', config_sealed: deps.box.seal(JSON.stringify(settings)) })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const existing = await deps.db.selectFrom('datasets').select('id').where('org_id', '=', deps.orgId).where('name', '=', SALES_DATASET.name).executeTakeFirst();
  if (!existing) await deps.datasets.upsert(deps.orgId, { ...SALES_DATASET, connectionId: DEMO_CONNECTION_ID });

  const story = JSON.parse(await readFile(DEMO_STORY_FILE, 'utf8')) as { slug: string };
  const present = await deps.db.selectFrom('stories').select('id').where('org_id', '=', deps.orgId).where('slug', '=', story.slug).executeTakeFirst();
  if (present) return { seeded, storyCreated: false };
  await deps.stories.importStory(deps.orgId, story);
  return { seeded, storyCreated: true };
}
