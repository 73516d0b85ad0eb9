/**
 * The demo warehouse: a retail schema for three tenants of very different
 * sizes, generated inside the database from a fixed seed so every install
 * shows the same numbers. `sales_facts` is the wide fact table a real
 * warehouse would keep next to the normalised tables; the demo dataset reads it.
 */
import type { PGlite } from '@electric-sql/pglite';

export const DEMO_TENANTS = [
  { id: 1, name: 'Northwind Outfitters', share: 0.5, customers: 2400, categories: ['Tents', 'Backpacks', 'Footwear', 'Apparel', 'Climbing'] },
  { id: 2, name: 'Bluebird Books', share: 0.3, customers: 1500, categories: ['Fiction', 'Non-fiction', 'Children', 'Comics', 'Textbooks'] },
  { id: 3, name: 'Cobalt Kitchen', share: 0.2, customers: 900, categories: ['Cookware', 'Knives', 'Appliances', 'Tableware', 'Pantry'] },
] as const;

export const DEMO_REGIONS = ['North', 'South', 'East', 'West', 'Central'] as const;
/** Orders span two full calendar years. */
export const DEMO_FIRST_DAY = '2024-01-01';
export const DEMO_LAST_DAY = '2025-12-31';

const FIRST_NAMES = ['Ava', 'Ben', 'Chloe', 'Daniel', 'Emma', 'Felix', 'Grace', 'Hugo', 'Isla', 'Jonas', 'Kira', 'Liam', 'Maya', 'Noah', 'Olivia', 'Pablo', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Umar', 'Vera', 'Will', 'Yara', 'Zoe'];
const LAST_NAMES = ['Adams', 'Berg', 'Costa', 'Dubois', 'Evans', 'Fischer', 'Garcia', 'Hansen', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Meyer', 'Novak', 'Okafor', 'Patel', 'Quist', 'Rossi', 'Silva', 'Tanaka', 'Ueda', 'Varga', 'Weber', 'Xu', 'Young'];
const PRODUCT_WORDS = ['Classic', 'Pro', 'Lite', 'Max', 'Trail', 'Urban', 'Eco', 'Prime'];

/** mulberry32: a tiny, well-known seeded PRNG, so every install generates the same rows. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const csvText = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Rows are generated here and bulk-loaded with COPY: far faster than row-by-row SQL in the embedded database. */
class CsvTable {
  private readonly chunks: string[] = [];
  add(...values: Array<string | number>): void {
    this.chunks.push(values.map((v) => (typeof v === 'string' ? csvText(v) : String(v))).join(','));
  }
  async copyInto(db: Pick<PGlite, 'query'>, table: string, columns: string): Promise<void> {
    const blob = new Blob([this.chunks.join('\n') + '\n']);
    await db.query(`copy ${table} (${columns}) from '/dev/blob' with (format csv)`, [], { blob });
  }
}

export interface SeedOptions {
  /** Orders over all tenants (the demo uses 240k; tests use fewer). */
  orders: number;
  seed?: number;
  /** Called once the warehouse is found empty, before the rows are generated. */
  onSeeding?: () => void;
}

/** Creates and fills the demo schema unless it is already there. Returns true when it seeded. */
export async function seedDemoWarehouse(db: PGlite, options: SeedOptions): Promise<boolean> {
  const existing = await db.query<{ present: boolean }>(`select to_regclass('public.sales_facts') is not null as present`);
  if (existing.rows[0]?.present) return false;
  options.onSeeding?.();
  const random = seededRandom(options.seed ?? 20240101);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  const tenants = new CsvTable();
  const regions = new CsvTable();
  const categories = new CsvTable();
  const products = new CsvTable();
  const customers = new CsvTable();
  const orders = new CsvTable();
  const lines = new CsvTable();
  const facts = new CsvTable();

  DEMO_REGIONS.forEach((name, i) => regions.add(i + 1, name));
  // Regions are deliberately unequal so the charts have a shape.
  const regionWeights = [1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 5];
  const segments = ['Consumer', 'Consumer', 'Consumer', 'Small business', 'Enterprise'];
  const statuses = ['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'returned', 'cancelled'];
  const discounts = [0, 0, 0, 0, 0.05, 0.1, 0.15, 0.2];
  const firstDay = Date.parse(DEMO_FIRST_DAY);
  const days = Math.round((Date.parse(DEMO_LAST_DAY) - firstDay) / DAY_MS) + 1;

  let categoryId = 0;
  let productId = 0;
  let customerId = 0;
  let orderId = 0;
  let lineId = 0;
  for (const tenant of DEMO_TENANTS) {
    const orderCount = Math.round(options.orders * tenant.share);
    tenants.add(tenant.id, tenant.name);
    const tenantProducts: Array<{ id: number; name: string; category: string; price: number }> = [];
    for (const category of tenant.categories) {
      categories.add(++categoryId, tenant.id, category);
      for (const word of PRODUCT_WORDS) {
        const price = Math.round((5 + random() * 295) * 100) / 100;
        const product = { id: ++productId, name: `${category} ${word}`, category, price };
        tenantProducts.push(product);
        products.add(product.id, tenant.id, categoryId, product.name, price.toFixed(2));
      }
    }
    const tenantCustomers: Array<{ id: number; name: string; region: number; segment: string }> = [];
    const customerCount = Math.max(10, Math.round(tenant.customers * Math.min(1, options.orders / 200_000)));
    for (let n = 0; n < customerCount; n++) {
      const customer = { id: ++customerId, name: `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`, region: pick(regionWeights), segment: pick(segments) };
      tenantCustomers.push(customer);
      customers.add(customer.id, tenant.id, customer.name, customer.region, customer.segment, isoDay(Date.parse('2023-01-01') + Math.floor(random() * 700) * DAY_MS));
    }
    for (let n = 0; n < orderCount; n++) {
      // Later days are likelier (a growing business) and November/December get a holiday bump.
      let day = Math.min(days - 1, Math.floor(Math.pow(random(), 0.85) * days));
      const date = new Date(firstDay + day * DAY_MS);
      if (date.getUTCMonth() < 10 && random() < 0.06) {
        const year = date.getUTCFullYear();
        day = Math.round((Date.UTC(year, 10 + Math.floor(random() * 2), 1 + Math.floor(random() * 28)) - firstDay) / DAY_MS);
      }
      const orderDate = isoDay(firstDay + day * DAY_MS);
      const customer = pick(tenantCustomers);
      const status = pick(statuses);
      orders.add(++orderId, tenant.id, customer.id, customer.region, orderDate, status);
      const lineCount = 1 + Math.floor(random() * 3);
      for (let l = 0; l < lineCount; l++) {
        const product = pick(tenantProducts);
        const quantity = 1 + Math.floor(Math.pow(random(), 2) * 5);
        const discount = pick(discounts);
        const revenue = Math.round(quantity * product.price * (1 - discount) * 100) / 100;
        lines.add(++lineId, orderId, tenant.id, product.id, quantity, product.price.toFixed(2), discount.toFixed(2));
        facts.add(lineId, tenant.id, orderId, orderDate, status, DEMO_REGIONS[customer.region - 1] as string, customer.name, customer.segment, product.category, product.name, quantity, revenue.toFixed(2));
      }
    }
  }

  await db.transaction(async (tx) => {
    await tx.exec(`
      create table tenants (id int primary key, name text not null);
      create table regions (id int primary key, name text not null);
      create table categories (id int primary key, tenant_id int not null, name text not null);
      create table products (id int primary key, tenant_id int not null, category_id int not null, name text not null, unit_price numeric(10,2) not null);
      create table customers (id int primary key, tenant_id int not null, name text not null, region_id int not null, segment text not null, created_at date not null);
      create table orders (id int primary key, tenant_id int not null, customer_id int not null, region_id int not null, order_date date not null, status text not null);
      create table order_lines (id int primary key, order_id int not null, tenant_id int not null, product_id int not null,
                                quantity int not null, unit_price numeric(10,2) not null, discount numeric(4,2) not null);
      create table sales_facts (line_id int primary key, tenant_id int not null, order_id int not null, order_date date not null,
                                status text not null, region text not null, customer text not null, segment text not null,
                                category text not null, product text not null, quantity int not null, revenue numeric(12,2) not null);
    `);
    await tenants.copyInto(tx, 'tenants', 'id, name');
    await regions.copyInto(tx, 'regions', 'id, name');
    await categories.copyInto(tx, 'categories', 'id, tenant_id, name');
    await products.copyInto(tx, 'products', 'id, tenant_id, category_id, name, unit_price');
    await customers.copyInto(tx, 'customers', 'id, tenant_id, name, region_id, segment, created_at');
    await orders.copyInto(tx, 'orders', 'id, tenant_id, customer_id, region_id, order_date, status');
    await lines.copyInto(tx, 'order_lines', 'id, order_id, tenant_id, product_id, quantity, unit_price, discount');
    await facts.copyInto(tx, 'sales_facts', 'line_id, tenant_id, order_id, order_date, status, region, customer, segment, category, product, quantity, revenue');
    // Keys are added after the bulk load: one validation pass instead of a check per row.
    await tx.exec(`
      alter table categories add foreign key (tenant_id) references tenants;
      alter table products add foreign key (tenant_id) references tenants, add foreign key (category_id) references categories;
      alter table customers add foreign key (tenant_id) references tenants, add foreign key (region_id) references regions;
      alter table orders add foreign key (tenant_id) references tenants, add foreign key (customer_id) references customers,
                         add foreign key (region_id) references regions;
      alter table order_lines add foreign key (order_id) references orders, add foreign key (product_id) references products;
      create index sales_facts_tenant_date on sales_facts (tenant_id, order_date);
      analyze;
    `);
  });
  return true;
}
