import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { CardData } from '../../sdk/protocol.ts';
import { demoStory, shadow, shadowAll, until } from '../testing/fixtures.ts';
import type { InsightTable } from './table.component.ts';
import './table.ts';

async function topCustomers(): Promise<CardData> {
  const { client, card } = await demoStory();
  return client.cardData(card('top-customers').id);
}

const column = (el: InsightTable, index: number) => shadowAll(el, 'tbody tr').map((tr) => tr.children[index]!.textContent!.trim());

describe('<insight-table>', () => {
  it('renders a captioned table with column labels, formatted and right-aligned numbers', async () => {
    const data = await topCustomers();
    const el = await fixture<InsightTable>(html`<insight-table label="Top customers" .data=${data}></insight-table>`);
    expect(shadow(el, 'caption').textContent).to.equal('Top customers');
    const headers = shadowAll(el, 'th');
    expect(headers.map((th) => th.getAttribute('scope'))).to.deep.equal(['col', 'col', 'col', 'col']);
    expect(headers.map((th) => th.textContent!.replace(/[▲▼]/g, '').trim())).to.deep.equal(['Customer', 'Region', 'Count of Order', 'Revenue']);
    // 25 rows a page by default.
    expect(shadowAll(el, 'tbody tr')).to.have.length(Math.min(25, data.rows.length));
    const usd = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });
    expect(column(el, 3)[0]).to.equal(usd.format(data.rows[0]![3] as number));
    const revenueCell = shadowAll(el, 'tbody tr')[0]!.children[3] as HTMLElement;
    expect(getComputedStyle(revenueCell).textAlign).to.equal('end');
    expect(getComputedStyle(shadowAll(el, 'tbody tr')[0]!.children[0] as HTMLElement).textAlign).to.equal('start');
    await expect(el).to.be.accessible();
  });

  it('sorts by a header click and reflects it in aria-sort', async () => {
    const data = await topCustomers();
    const el = await fixture<InsightTable>(html`<insight-table label="Top customers" page-size="0" .data=${data}></insight-table>`);
    const [customer, , , revenue] = shadowAll(el, 'th');
    expect(customer!.hasAttribute('aria-sort')).to.equal(false);

    customer!.querySelector('button')!.click();
    await el.updateComplete;
    expect(customer!.getAttribute('aria-sort')).to.equal('ascending');
    const names = column(el, 0);
    expect(names).to.deep.equal([...names].sort((a, b) => a.localeCompare(b)));

    customer!.querySelector('button')!.click();
    await el.updateComplete;
    expect(customer!.getAttribute('aria-sort')).to.equal('descending');
    expect(column(el, 0)).to.deep.equal([...names].reverse());

    revenue!.querySelector('button')!.click();
    await el.updateComplete;
    expect(revenue!.getAttribute('aria-sort')).to.equal('descending');
    expect(customer!.hasAttribute('aria-sort')).to.equal(false);
    const values = el.shadowRoot!.querySelectorAll('tbody tr');
    expect(values).to.have.length(data.rows.length);
    const order = data.rows.map((r) => r[3] as number).sort((a, b) => b - a);
    const usd = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });
    expect(column(el, 3)).to.deep.equal(order.map((v) => usd.format(v)));
  });

  it('sorts from the keyboard: header buttons are in the tab order', async () => {
    const data = await topCustomers();
    const el = await fixture<InsightTable>(html`<insight-table label="Top customers" .data=${data}></insight-table>`);
    const button = shadow<HTMLButtonElement>(el, 'th:nth-child(2) button');
    expect(button.tabIndex).to.equal(0);
    button.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(shadow(el, 'th:nth-child(2)').getAttribute('aria-sort')).to.equal('ascending');
    await sendKeys({ press: 'Space' });
    await el.updateComplete;
    expect(shadow(el, 'th:nth-child(2)').getAttribute('aria-sort')).to.equal('descending');
  });

  it('formats dates as calendar days and can hide its caption visually', async () => {
    const { client, card } = await demoStory();
    const data = await client.cardData(card('revenue-by-month').id);
    const el = await fixture<InsightTable>(html`<insight-table label="By month" hide-caption .data=${data}></insight-table>`);
    const expected = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${data.rows[0]![0] as string}T00:00:00Z`));
    expect(column(el, 0)[0]).to.equal(expected);
    expect(shadow(el, 'caption').classList.contains('sr-only')).to.equal(true);
    await expect(el).to.be.accessible();
  });

  it('pages through the rows with keyboard-reachable Previous and Next; sorting sorts all rows and starts over', async () => {
    const data = await topCustomers();
    expect(data.rows.length).to.be.greaterThan(20);
    const el = await fixture<InsightTable>(html`<insight-table label="Top customers" page-size="10" .data=${data}></insight-table>`);
    const usd = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });
    expect(shadowAll(el, 'tbody tr')).to.have.length(10);
    const pager = shadow(el, 'nav[part="pager"]');
    expect(pager.getAttribute('aria-label')).to.equal('Top customers: pages');
    const [previous, next] = shadowAll<HTMLButtonElement>(el, '[part="pager-button"]');
    expect(previous!.disabled).to.equal(true);
    expect(shadow(el, '.range').textContent!.replace(/\s+/g, ' ').trim()).to.equal(`1–10 of ${data.rows.length}`);

    next!.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(column(el, 0)[0]).to.equal(String(data.rows[10]![0]));
    expect(shadow(el, '.range').textContent!.replace(/\s+/g, ' ').trim()).to.equal(`11–20 of ${data.rows.length}`);
    expect(previous!.disabled).to.equal(false);

    // The last page holds the rest.
    const pages = Math.ceil(data.rows.length / 10);
    for (let i = 2; i < pages; i++) {
      next!.click();
      await el.updateComplete;
    }
    expect(next!.disabled).to.equal(true);
    expect(shadowAll(el, 'tbody tr')).to.have.length(data.rows.length - (pages - 1) * 10);

    // Sorting by revenue ascending shows the smallest of all rows first, on page one.
    const revenue = shadowAll(el, 'th')[3]!.querySelector('button')!;
    revenue.click();
    revenue.click();
    await el.updateComplete;
    expect(shadowAll(el, 'th')[3]!.getAttribute('aria-sort')).to.equal('ascending');
    const smallest = Math.min(...data.rows.map((r) => r[3] as number));
    expect(column(el, 3)[0]).to.equal(usd.format(smallest));
    expect(shadow(el, '.range').textContent!.replace(/\s+/g, ' ').trim()).to.equal(`1–10 of ${data.rows.length}`);
    await expect(el).to.be.accessible();
  });

  it('shows every row without a pager when they fit one page', async () => {
    const data = await topCustomers();
    const el = await fixture<InsightTable>(html`<insight-table label="Top customers" page-size="0" .data=${data}></insight-table>`);
    expect(shadowAll(el, 'tbody tr')).to.have.length(data.rows.length);
    expect(el.shadowRoot!.querySelector('[part="pager"]')).to.equal(null);
  });

  it('makes a table wider than its card a focusable, named scroll region', async () => {
    const data = await topCustomers();
    const wrapper = await fixture<HTMLDivElement>(html`<div style="width: 180px"><insight-table label="Top customers" .data=${data}></insight-table></div>`);
    const el = wrapper.querySelector('insight-table')!;
    await until(() => shadow(el, '.scroll').getAttribute('role') === 'region', 'scroll region');
    expect(shadow(el, '.scroll').tabIndex).to.equal(0);
    expect(shadow(el, '.scroll').getAttribute('aria-label')).to.equal('Top customers (scrolls sideways)');
    await expect(el).to.be.accessible();
    wrapper.style.width = '900px';
    await until(() => !shadow(el, '.scroll').hasAttribute('role'), 'no scroll region when it fits');
  });

  it('says so when there are no rows', async () => {
    const data: CardData = { columns: [{ name: 'a', type: 'string' }], rows: [], rowCount: 0, truncated: false, fromCache: false, cacheAgeMs: 0, executionMs: 0 };
    const el = await fixture<InsightTable>(html`<insight-table label="Empty" .data=${data}></insight-table>`);
    expect(shadow(el, '.empty').textContent).to.contain('No rows');
  });
});
