/**
 * The invoices a host brings: `invoice_lines` in the real PostgreSQL (one row
 * per line of an invoice), for two tenants with their own accounts, made
 * from a fixed seed so the gold answers never move. Registered with a test
 * server through the admin API as a vendor would: a postgres connection, an
 * `invoices` dataset with a row policy, and a published `billing` story that
 * reads it (a viewer may ask only about the datasets of their story).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { seededRandom } from '../../server/demo-content/seed-warehouse.ts';
import { parseConnectionUrl } from '../../server/connectors/connection-url.ts';
import { adminClient, TEST_ADMIN_KEY } from '../../server/testing/admin-fixtures.ts';
import { POSTGRES_URL } from '../../server/testing/services.ts';
import type { TestServer } from '../../server/testing/test-services.ts';

export const INVOICE_ACCOUNTS: Record<number, string[]> = {
  1: ['Acme Corp', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark Industries', 'Wayne Enterprises', 'Wonka'],
  2: ['Soylent', 'Tyrell', 'Cyberdyne', 'Vandelay', 'Pied Piper', 'Dunder Mifflin'],
};
const PLANS = ['Starter', 'Growth', 'Enterprise'];
const COUNTRIES = ['United States', 'Germany', 'France', 'United Kingdom', 'Japan'];
const STATUSES = ['paid', 'paid', 'paid', 'paid', 'open', 'overdue', 'void'];
const ITEMS = ['Seats', 'Storage', 'Support', 'Onboarding'];

export const BILLING_STORY = 'billing';

export interface InvoicesFixture {
  table: string;
  /** Gold SQL as the table's owner, `invoice_lines` standing for the run's table; rows as arrays. */
  gold(sql: string, params: unknown[]): Promise<unknown[][]>;
  drop(): Promise<void>;
}

function invoiceRows(): unknown[][] {
  const random = seededRandom(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const rows: unknown[][] = [];
  let invoiceId = 0;
  let lineId = 0;
  for (const [tenant, count] of [[1, 600], [2, 400]] as const) {
    const accounts = (INVOICE_ACCOUNTS[tenant] as string[]).map((name) => ({ name, plan: pick(PLANS), country: pick(COUNTRIES) }));
    for (let n = 0; n < count; n++) {
      const account = pick(accounts);
      const issued = new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 731) * 86_400_000).toISOString().slice(0, 10);
      const status = pick(STATUSES);
      invoiceId++;
      const lines = 1 + Math.floor(random() * 3);
      for (let l = 0; l < lines; l++) {
        rows.push([++lineId, tenant, invoiceId, account.name, account.plan, account.country, issued, status, pick(ITEMS), (Math.round((20 + random() * 980) * 100) / 100).toFixed(2)]);
      }
    }
  }
  return rows;
}

/** Creates the table, its connection, dataset and story in the server's default organisation. */
export async function createInvoicesFixture(server: TestServer): Promise<InvoicesFixture> {
  const url = parseConnectionUrl(POSTGRES_URL);
  const table = `ask_invoice_lines_${process.pid}_${randomBytes(3).toString('hex')}`;
  const owner = new pg.Client({ host: url.host, port: url.port, database: url.database, user: url.user, password: url.password });
  await owner.connect();
  await owner.query(`CREATE TABLE ${table} (line_id integer PRIMARY KEY, tenant_id integer NOT NULL, invoice_id integer NOT NULL, account text NOT NULL,
    plan text NOT NULL, country text NOT NULL, issued_on date NOT NULL, status text NOT NULL, item text NOT NULL, amount numeric(10, 2) NOT NULL)`);
  const rows = invoiceRows();
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const values = chunk.map((_, r) => `(${Array.from({ length: 10 }, (_, c) => `$${r * 10 + c + 1}`).join(', ')})`).join(', ');
    await owner.query(`INSERT INTO ${table} VALUES ${values}`, chunk.flat());
  }

  const admin = adminClient(server.app, TEST_ADMIN_KEY);
  const connection = await admin('POST', '/api/connections', { name: `billing-${table}`, type: 'postgres', url: POSTGRES_URL });
  if (connection.status !== 201) throw new Error(`connection: ${JSON.stringify(connection.json)}`);
  const dataset = await admin('POST', '/api/datasets', {
    name: 'invoices',
    label: 'Invoices',
    description: 'Invoice lines with their invoice, account, plan and country.',
    connectionId: connection.json.id,
    table,
    rowPolicy: 'tenant_id = {{tenant_id}}',
    columns: [
      { name: 'tenant_id', type: 'number', role: 'dimension' },
      { name: 'invoice_id', label: 'Invoice', type: 'number', role: 'dimension' },
      { name: 'account', label: 'Account', type: 'string', role: 'dimension', synonyms: ['client', 'customer'] },
      { name: 'plan', label: 'Plan', type: 'string', role: 'dimension' },
      { name: 'country', label: 'Country', type: 'string', role: 'dimension' },
      { name: 'issued_on', label: 'Issued on', type: 'date', role: 'time', synonyms: ['date', 'issued'] },
      { name: 'status', label: 'Status', type: 'string', role: 'dimension' },
      { name: 'item', label: 'Item', type: 'string', role: 'dimension', synonyms: ['line item'] },
      { name: 'amount', label: 'Amount', type: 'number', role: 'measure', synonyms: ['invoiced', 'billed', 'billing', 'billings'], format: 'currency:USD' },
    ],
  });
  if (dataset.status !== 201) throw new Error(`dataset: ${JSON.stringify(dataset.json)}`);
  await server.services.stories.importStory(server.services.defaultOrgId, {
    slug: BILLING_STORY,
    title: 'Billing',
    status: 'published',
    pages: [{ key: 'overview', title: 'Overview', cards: [{ key: 'billed', type: 'metric', title: 'Billed', query: { dataset: 'invoices', measures: [{ agg: 'sum', column: 'amount', as: 'amount' }] } }] }],
  });

  return {
    table,
    async gold(sql, params) {
      const result = await owner.query({ text: sql.replace(/\binvoice_lines\b/g, table), values: params, rowMode: 'array' });
      return result.rows as unknown[][];
    },
    async drop() {
      await owner.query(`DROP TABLE IF EXISTS ${table}`);
      await owner.end();
    },
  };
}
