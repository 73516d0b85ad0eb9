import { describe, expect, it } from 'vitest';
import { describeSql, MAX_EXPLANATION_LENGTH, plainExplanation } from './plain-explanation.ts';

describe('plainExplanation', () => {
  it.each([
    ['markdown emphasis, code and headings', '## Result\n**Revenue** per `region`, *largest* first.', 'Result Revenue per region, largest first.'],
    ['lists and quotes', '> Note\n- revenue by region\n- sorted\n1. then this', 'Note revenue by region sorted then this'],
    ['links and images', 'See [the docs](https://evil.example) ![chart](https://evil.example/x.png)', 'See the docs chart'],
    ['code fences', '```sql\nselect 1\n```', 'select 1'],
    ['HTML tags, scripts and comments', '<p onclick="x()">Revenue <b>per</b> region</p><script>alert(1)</script><!-- hidden -->', 'Revenue per region'],
    ['an unclosed script', 'Revenue <script>alert(1)', 'Revenue'],
    ['entities become characters (shown as text, never parsed)', 'Profit &amp; loss &lt;b&gt;', 'Profit & loss <b>'],
    ['control, zero-width and bidi characters', 'Reve\u0000nue\u200b per\u202e region\u0007\u009b', 'Revenue per region'],
    ['newlines and runs of spaces', 'Revenue\r\n\tper   region\u2028', 'Revenue per region'],
    ['comparisons and snake_case stay', 'Orders with amount > 100 and order_id < 5', 'Orders with amount > 100 and order_id < 5'],
    ['not a string', 42, ''],
  ])('%s', (_name, input, expected) => {
    expect(plainExplanation(input)).toBe(expected);
  });

  it('caps the length at a word boundary with an ellipsis', () => {
    const text = plainExplanation('Revenue grew in every region. '.repeat(40));
    expect(text.length).toBeLessThanOrEqual(MAX_EXPLANATION_LENGTH);
    expect(text.length).toBeGreaterThan(MAX_EXPLANATION_LENGTH - 20);
    expect(text).toMatch(/[a-z]\u2026$/);
    expect('Revenue grew in every region. '.repeat(40)).toContain(text.slice(0, -1));
  });

  it('cuts a single endless word inside it rather than showing nothing', () => {
    const text = plainExplanation('x'.repeat(5000), 50);
    expect(text).toBe(`${'x'.repeat(49)}\u2026`);
  });

  it('leaves a text at the limit whole', () => {
    expect(plainExplanation('a'.repeat(400))).toBe('a'.repeat(400));
  });
});

describe('describeSql', () => {
  const labels = { sales: 'Sales', customers: 'Customers' };

  it.each([
    ['datasets, grouping, order and limit', 'select region, sum(revenue) as revenue from sales group by region order by revenue desc limit 5', 'Reads Sales, grouped by region, sorted by revenue (largest first), first 5 rows.'],
    ['filters, ordinals and a join', "select c.segment, count(*) as n from sales s join customers c on c.id = s.customer_id where s.year = 2024 and s.status in ('paid') group by 1 order by 2", 'Reads Sales and Customers, filtered on year and status, grouped by segment, sorted by n.'],
    ['a CTE is not a dataset', 'with big as (select * from sales where revenue > 10) select count(*) from big', 'Reads Sales.'],
    ['a dataset without a label', 'select count(*) from returns', 'Reads returns.'],
    ['MySQL', 'select `region`, count(*) from sales group by `region` limit 10', 'Reads Sales, grouped by region, first 10 rows.'],
  ])('%s', (_name, sql, expected) => {
    expect(describeSql(sql, sql.includes('`') ? 'mysql' : 'postgres', labels)).toBe(expected);
  });

  it('says nothing about SQL it cannot parse, and keeps labels plain', () => {
    expect(describeSql('select from where', 'postgres', labels)).toBe('');
    expect(describeSql('select 1', 'postgres', labels)).toBe('');
    expect(describeSql('select count(*) from sales', 'postgres', { sales: '<b>**Sales**</b>' })).toBe('Reads Sales.');
  });
});
