import { describe, expect, it } from 'vitest';
import type { Dialect } from '../../connectors/connector.ts';
import { checkColumns } from './check-columns.ts';

const datasets = new Map([['sales', new Set(['region', 'revenue', 'customer', 'category', 'order_date', 'order_id', 'segment', 'status'])]]);

const accepted: Array<[string, Dialect]> = [
  ['select count(*) as orders from sales', 'postgres'],
  ['select region, sum(revenue) as revenue from sales group by region order by revenue desc', 'postgres'],
  ['select x.line_id from (select revenue as line_id from sales) x', 'postgres'],
  ['with t as (select region as r, revenue from sales) select r, sum(revenue) total from t group by r order by total', 'postgres'],
  ["select cast(date_trunc('month', order_date) as date) as month, count(*) from sales group by month order by month", 'postgres'],
  ['select s.region, s.revenue from Sales s', 'postgres'],
  ['select region from sales union all select customer from sales', 'postgres'],
  ['select region, rank() over (order by sum(revenue) desc) as rnk from sales group by region', 'postgres'],
  ['select region from sales where revenue > (select avg(revenue) from sales)', 'postgres'],
  ['select a.region, b.segment from sales a join sales b on a.order_id = b.order_id limit 3', 'postgres'],
  ["select extract(year from order_date) as yr, sum(revenue) filter (where status = 'paid') as paid from sales group by 1", 'postgres'],
  ["select region, sum(revenue) as revenue from sales where order_date >= current_date - interval '30 days' group by region", 'postgres'],
  ["select year(order_date) as yr, sum(revenue) as revenue from sales where order_date >= curdate() - interval 30 day group by yr", 'mysql'],
  ['select region, sum(revenue) from sales group by 1 order by 2 desc limit 5;', 'mysql'],
];

const refused: Array<[string, Dialect, string]> = [
  ['select * from sales', 'postgres', 'instead of *'],
  ['select s.* from sales s', 'mysql', 'instead of *'],
  ['select line_id from sales', 'postgres', 'line_id'],
  ['select line_id as line_id from sales', 'postgres', 'line_id'],
  ['select revenue as line_id, line_id from sales', 'postgres', 'line_id'],
  ['select a from (select line_id as a from sales) x', 'postgres', 'line_id'],
  ['with t as (select region as r from sales) select r, tenant_id from t', 'postgres', 'tenant_id'],
  ['select region from sales union all select line_id from sales', 'mysql', 'line_id'],
  ['select region from sales s where exists (select 1 from sales t where t.region = s.region and t.line_id > 0)', 'postgres', 'line_id'],
  ['select a.region from sales a join sales b on a.line_id = b.line_id', 'postgres', 'line_id'],
  ['select region from sales where tenant_id = 2', 'postgres', 'tenant_id'],
  ['select region from sales group by tenant_id', 'postgres', 'tenant_id'],
];

describe('checkColumns', () => {
  for (const [sql, dialect] of accepted) {
    it(`accepts ${sql} (${dialect})`, () => {
      expect(() => checkColumns(sql, dialect, datasets)).not.toThrow();
    });
  }
  for (const [sql, dialect, named] of refused) {
    it(`refuses ${sql} (${dialect})`, () => {
      expect(() => checkColumns(sql, dialect, datasets)).toThrow(expect.objectContaining({ code: 'ERR_SQL_NOT_ALLOWED', message: expect.stringContaining(named) }));
    });
  }
  it('answers ERR_SQL_PARSE for text that is not SQL', () => {
    expect(() => checkColumns('show me the money', 'postgres', datasets)).toThrow(expect.objectContaining({ code: 'ERR_SQL_PARSE' }));
  });
});
