import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardData, StoryView } from '@insight-engine/sdk/protocol';
import { DEMO_CONNECTION_ID } from '../demo-content/provision-demo.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import { exportFilename, neutraliseFormula } from './card-export.ts';
import { previousPeriodQuery } from './card-extras.ts';

let server: TestServer;
let story: StoryView;

const SLUG = 'export-fixture';
const definition = {
  slug: SLUG,
  title: 'Export fixture',
  status: 'published',
  filters: [
    { name: 'period', label: 'Period', type: 'date_range', dataset: 'sales', column: 'order_date', default: { from: '2025-04-01', to: '2025-06-30' } },
    { name: 'region', label: 'Region', type: 'select', dataset: 'sales', column: 'region' },
  ],
  pages: [
    {
      key: 'main',
      title: 'Main',
      cards: [
        {
          key: 'revenue-by-region',
          type: 'table',
          title: 'Revenue by region',
          query: { dataset: 'sales', dimensions: [{ column: 'region' }], measures: [{ agg: 'sum', column: 'revenue', as: 'revenue' }], sort: [{ field: 'region' }] },
        },
        {
          key: 'revenue',
          type: 'metric',
          title: 'Revenue',
          query: { dataset: 'sales', measures: [{ agg: 'sum', column: 'revenue', as: 'revenue' }] },
          options: { compare: 'previous_period', sparkline: { grain: 'month' } },
        },
        { key: 'note', type: 'text', title: 'Note', options: { markdown: 'Hello' } },
      ],
    },
  ],
};

const cardId = (key: string) => {
  const card = story.pages.flatMap((p) => p.cards).find((c) => c.key === key);
  if (!card) throw new Error(`no card ${key}`);
  return card.id;
};

const get = (path: string, token: string) => server.app.request(path, { headers: { authorization: `Bearer ${token}` } });
const exportToken = (tenant = 1) => server.token({ story: SLUG, params: { tenant_id: tenant }, permissions: ['view', 'export'] });

/** The truth, straight from the warehouse with plain SQL. */
async function warehouse(sql: string, params: unknown[]) {
  const connector = await server.services.connections.get(server.services.defaultOrgId, DEMO_CONNECTION_ID);
  return (await connector.execute(sql, params, { timeoutMs: 10_000, maxRows: 10_000 })).rows;
}

beforeAll(async () => {
  server = await createTestServer();
  await server.services.stories.importStory(server.services.defaultOrgId, definition);
  const res = await get('/api/embed/story', await exportToken());
  expect(res.status).toBe(200);
  story = (await res.json()) as StoryView;
});

afterAll(async () => {
  await server?.close();
});

describe('GET /api/embed/cards/{id}/export', () => {
  it('exports the viewer rows as CSV with labelled headers, the filters applied', async () => {
    const filters = encodeURIComponent(JSON.stringify({ period: { from: '2025-01-01', to: '2025-12-31' } }));
    const res = await get(`/api/embed/cards/${cardId('revenue-by-region')}/export?format=csv&filters=${filters}`, await exportToken(2));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="revenue-by-region.csv"');
    const lines = (await res.text()).replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    expect(lines[0]).toBe('Region,Revenue');
    const expected = await warehouse(
      `select region, sum(revenue)::float8 as revenue from sales_facts where tenant_id = $1 and order_date between $2 and $3 group by region order by region`,
      [2, '2025-01-01', '2025-12-31'],
    );
    expect(lines.slice(1).map((l) => l.split(','))).toEqual(expected.map((r) => [String(r[0]), expect.any(String)]));
    const totals = lines.slice(1).map((l) => Number(l.split(',')[1]));
    expected.forEach((r, i) => expect(totals[i]).toBeCloseTo(Number(r[1]), 2));
  });

  it('exports XLSX with numbers as numbers', async () => {
    const res = await get(`/api/embed/cards/${cardId('revenue-by-region')}/export?format=xlsx`, await exportToken());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(1).values).toEqual([undefined, 'Region', 'Revenue']);
    const expected = await warehouse(
      `select region, sum(revenue)::float8 as revenue from sales_facts where tenant_id = 1 and order_date between '2025-04-01' and '2025-06-30' group by region order by region`,
      [],
    );
    expect(sheet.rowCount).toBe(expected.length + 1);
    expected.forEach((r, i) => {
      const row = sheet.getRow(i + 2);
      expect(row.getCell(1).value).toBe(r[0]);
      expect(typeof row.getCell(2).value).toBe('number');
      expect(row.getCell(2).value as number).toBeCloseTo(Number(r[1]), 2);
    });
  });

  it('refuses a token without the export permission', async () => {
    const res = await get(`/api/embed/cards/${cardId('revenue-by-region')}/export?format=csv`, await server.token({ story: SLUG }));
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe('ERR_FORBIDDEN');
  });

  it('answers bad input with stable codes', async () => {
    const token = await exportToken();
    const codeOf = async (path: string) => ((await (await get(path, token)).json()) as { code: string }).code;
    expect(await codeOf(`/api/embed/cards/${cardId('revenue-by-region')}/export?format=pdf`)).toBe('ERR_VALIDATION');
    expect(await codeOf(`/api/embed/cards/${cardId('revenue-by-region')}/export?filters=%7Bnot-json`)).toBe('ERR_VALIDATION');
    expect(await codeOf(`/api/embed/cards/${cardId('revenue-by-region')}/export?filters=${encodeURIComponent('{"nope":1}')}`)).toBe('ERR_FILTER_UNKNOWN');
    expect(await codeOf(`/api/embed/cards/${cardId('note')}/export`)).toBe('ERR_QUERY_INVALID');
    expect(await codeOf(`/api/embed/cards/c_not_a_card/export`)).toBe('ERR_CARD_NOT_FOUND');
  });

  it('cannot export a card of another story', async () => {
    const other = await server.token({ story: 'retail-overview', permissions: ['view', 'export'] });
    const res = await get(`/api/embed/cards/${cardId('revenue-by-region')}/export?format=csv`, other);
    expect(res.status).toBe(404);
  });
});

describe('metric cards', () => {
  it('carry the previous period and a monthly series, each confined to the viewer rows', async () => {
    const res = await server.app.request(`/api/embed/cards/${cardId('revenue')}/data`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await exportToken(3)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filters: { region: 'West' } }),
    });
    expect(res.status).toBe(200);
    const data = (await res.json()) as CardData;
    const sum = async (from: string, to: string) =>
      Number((await warehouse(`select coalesce(sum(revenue), 0)::float8 as v from sales_facts where tenant_id = 3 and region = 'West' and order_date between $1 and $2`, [from, to]))[0]?.[0]);
    expect(Number(data.rows[0]?.[0])).toBeCloseTo(await sum('2025-04-01', '2025-06-30'), 2);
    expect(data.comparison).toMatchObject({ from: '2025-01-01', to: '2025-03-31' });
    expect(Number(data.comparison?.rows[0]?.[0])).toBeCloseTo(await sum('2025-01-01', '2025-03-31'), 2);
    expect(data.series?.grain).toBe('month');
    expect(data.series?.rows.map((r) => Number(r[1]))).toHaveLength(3);
    const april = await sum('2025-04-01', '2025-04-30');
    expect(Number(data.series?.rows[0]?.[1])).toBeCloseTo(april, 2);
  });

  it('have no comparison without a closed date range', async () => {
    const res = await server.app.request(`/api/embed/cards/${cardId('revenue')}/data`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await exportToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filters: { period: null } }),
    });
    const data = (await res.json()) as CardData;
    expect(res.status).toBe(200);
    expect(data.comparison).toBeUndefined();
  });
});

describe('export helpers', () => {
  it('neutralise formulas and name files safely', () => {
    expect(neutraliseFormula('=HYPERLINK("http://x")')).toBe(`'=HYPERLINK("http://x")`);
    expect(neutraliseFormula('@SUM(A1)')).toBe(`'@SUM(A1)`);
    expect(neutraliseFormula(-5)).toBe(-5);
    expect(neutraliseFormula('West')).toBe('West');
    expect(exportFilename('Revenue / Région "Q1"', 'csv')).toBe('revenue-region-q1.csv');
  });

  it('shift whole months by months: a year by a year, a quarter by a quarter', () => {
    const shift = (from: string, to: string) => {
      const q = previousPeriodQuery({ dataset: 'sales', dimensions: [], measures: [], filters: [{ column: 'order_date', op: 'between', value: [from, to] }], sort: [] });
      return [q?.from, q?.to];
    };
    expect(shift('2025-01-01', '2025-12-31')).toEqual(['2024-01-01', '2024-12-31']);
    expect(shift('2024-03-01', '2024-03-31')).toEqual(['2024-02-01', '2024-02-29']);
    expect(shift('2025-03-10', '2025-03-16')).toEqual(['2025-03-03', '2025-03-09']);
  });

  it('shift a date range back by its own length', () => {
    const shifted = previousPeriodQuery({
      dataset: 'sales',
      dimensions: [],
      measures: [],
      filters: [{ column: 'order_date', op: 'gte', value: '2025-03-05' }, { column: 'order_date', op: 'lte', value: '2025-03-31' }, { column: 'region', op: 'eq', value: 'West' }],
      sort: [],
    });
    expect(shifted?.from).toBe('2025-02-06');
    expect(shifted?.to).toBe('2025-03-04');
    expect(shifted?.query.filters).toEqual([{ column: 'region', op: 'eq', value: 'West' }, { column: 'order_date', op: 'between', value: ['2025-02-06', '2025-03-04'] }]);
  });
});
