import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import type { CardData, ChartShorthand } from '../../sdk/protocol.ts';
import { demoStory, shadow, shadowAll, until } from '../testing/fixtures.ts';
import type { InsightChart } from './chart.component.ts';
import { describeChart } from './describe-chart.ts';
import { DEFAULT_CHART_THEME, axisFormat, fieldType, toValues, toVegaLite } from './to-vega-lite.ts';
import './chart.ts';

const data: CardData = {
  columns: [
    { name: 'month', type: 'date', label: 'Order date' },
    { name: 'region', type: 'string', label: 'Region' },
    { name: 'revenue', type: 'number', label: 'Revenue', format: 'currency:USD' },
    { name: 'orders', type: 'number', label: 'Orders' },
  ],
  rows: [
    ['2024-01-01', 'East', 1200.5, 10],
    ['2024-01-01', 'West', 800, 7],
    ['2024-02-01', 'East', 1500, 12],
    ['2024-02-01', 'West', 950.25, 8],
  ],
  rowCount: 4,
  truncated: false,
  fromCache: false,
  cacheAgeMs: 0,
  executionMs: 1,
};

type Spec = Record<string, any>;
const compileSpec = async (spec: unknown) => {
  const { compile } = await import('vega-lite');
  const warnings: string[] = [];
  const logger = { level: () => logger, warn: (...m: unknown[]) => (warnings.push(m.join(' ')), logger), info: () => logger, debug: () => logger, error: (...m: unknown[]) => { throw new Error(m.join(' ')); } };
  compile(spec as never, { logger: logger as never });
  return warnings;
};

describe('toVegaLite', () => {
  it('maps column types to Vega-Lite types and formats to d3 formats', () => {
    expect(fieldType({ type: 'date' })).to.equal('temporal');
    expect(fieldType({ type: 'datetime' })).to.equal('temporal');
    expect(fieldType({ type: 'number' })).to.equal('quantitative');
    expect(fieldType({ type: 'string' })).to.equal('nominal');
    expect(fieldType({ type: 'boolean' })).to.equal('nominal');
    expect(axisFormat('currency:USD')).to.equal('$,.0f');
    expect(axisFormat('currency:EUR')).to.equal(',.0f');
    expect(axisFormat('percent')).to.equal('.0%');
    expect(axisFormat(undefined)).to.equal(undefined);
  });

  it('builds values from rows in column order', () => {
    expect(toValues(data)[0]).to.deep.equal({ month: '2024-01-01', region: 'East', revenue: 1200.5, orders: 10 });
  });

  it('bar: nominal x in data order, quantitative y with currency axis, container width, theme', async () => {
    const spec = toVegaLite({ chartType: 'bar', x: 'region', y: 'revenue' }, data) as Spec;
    expect(spec['mark'].type).to.equal('bar');
    expect(spec['encoding'].x).to.include({ field: 'region', type: 'nominal', title: 'Region', sort: null });
    expect(spec['encoding'].y).to.include({ field: 'revenue', type: 'quantitative', title: 'Revenue' });
    expect(spec['encoding'].y.axis.format).to.equal('$,.0f');
    expect(spec['width']).to.equal('container');
    expect(spec['data'].values).to.have.length(4);
    expect(spec['config'].range.category).to.deep.equal(DEFAULT_CHART_THEME.palette);
    expect(spec['encoding'].tooltip.map((t: Spec) => t['field'])).to.deep.equal(['region', 'revenue']);
    expect(await compileSpec(spec)).to.deep.equal([]);
  });

  it('bar with a colour field groups side by side; stacked_bar stacks', async () => {
    const grouped = toVegaLite({ chartType: 'bar', x: 'month', y: 'revenue', color: 'region' }, data) as Spec;
    expect(grouped['encoding'].color).to.include({ field: 'region', type: 'nominal' });
    expect(grouped['encoding'].xOffset).to.deep.equal({ field: 'region' });
    const stacked = toVegaLite({ chartType: 'stacked_bar', x: 'month', y: 'revenue', color: 'region' }, data) as Spec;
    expect(stacked['mark'].type).to.equal('bar');
    expect(stacked['encoding'].color.field).to.equal('region');
    expect(stacked['encoding'].xOffset).to.equal(undefined);
    expect(stacked['encoding'].x).to.include({ type: 'ordinal', timeUnit: 'yearmonth' });
    await compileSpec(grouped);
    expect(await compileSpec(stacked)).to.deep.equal([]);
  });

  it('line: temporal x parsed as calendar days', async () => {
    const spec = toVegaLite({ chartType: 'line', x: 'month', y: 'revenue' }, data) as Spec;
    expect(spec['mark'].type).to.equal('line');
    expect(spec['encoding'].x).to.include({ field: 'month', type: 'temporal' });
    expect(spec['data'].format.parse).to.deep.equal({ month: "date:'%Y-%m-%d'" });
    expect(await compileSpec(spec)).to.deep.equal([]);
  });

  it('area, scatter', async () => {
    const area = toVegaLite({ chartType: 'area', x: 'month', y: 'revenue', color: 'region' }, data) as Spec;
    expect(area['mark'].type).to.equal('area');
    expect(area['encoding'].color.field).to.equal('region');
    const scatter = toVegaLite({ chartType: 'scatter', x: 'orders', y: 'revenue' }, data) as Spec;
    expect(scatter['mark'].type).to.equal('point');
    expect(scatter['encoding'].x).to.include({ field: 'orders', type: 'quantitative' });
    expect(scatter['encoding'].y).to.include({ field: 'revenue', type: 'quantitative' });
    expect(await compileSpec(area)).to.deep.equal([]);
    expect(await compileSpec(scatter)).to.deep.equal([]);
  });

  it('pie and donut: x names slices, y sizes them', async () => {
    const pie = toVegaLite({ chartType: 'pie', x: 'region', y: 'revenue' }, data) as Spec;
    expect(pie['mark'].type).to.equal('arc');
    expect(pie['mark'].innerRadius).to.equal(undefined);
    expect(pie['encoding'].theta).to.include({ field: 'revenue', type: 'quantitative' });
    expect(pie['encoding'].color).to.include({ field: 'region', type: 'nominal' });
    const donut = toVegaLite({ chartType: 'donut', x: 'region', y: 'revenue' }, data) as Spec;
    expect(donut['mark'].innerRadius).to.be.greaterThan(0);
    expect(await compileSpec(pie)).to.deep.equal([]);
    expect(await compileSpec(donut)).to.deep.equal([]);
  });

  it('heatmap: discrete x and y, colour by the measure', async () => {
    const spec = toVegaLite({ chartType: 'heatmap', x: 'month', y: 'region', color: 'revenue' }, data) as Spec;
    expect(spec['mark'].type).to.equal('rect');
    expect(spec['encoding'].x.type).to.equal('ordinal');
    expect(spec['encoding'].y).to.include({ field: 'region', type: 'ordinal' });
    expect(spec['encoding'].color).to.include({ field: 'revenue', type: 'quantitative' });
    // Without a colour field the first other number is the measure.
    const implicit = toVegaLite({ chartType: 'heatmap', x: 'month', y: 'region' }, data) as Spec;
    expect(implicit['encoding'].color.field).to.equal('revenue');
    expect(await compileSpec(spec)).to.deep.equal([]);
  });

  it('fills in missing fields and uses a full spec when given', async () => {
    const spec = toVegaLite({ chartType: 'bar' }, data) as Spec;
    expect(spec['encoding'].x.field).to.equal('month');
    expect(spec['encoding'].y.field).to.equal('revenue');
    const custom = toVegaLite({ chartType: 'bar', spec: { mark: 'tick', encoding: { x: { field: 'revenue', type: 'quantitative' } } } }, data) as Spec;
    expect(custom['mark']).to.equal('tick');
    expect(custom['data'].values).to.have.length(4);
    expect(custom['width']).to.equal('container');
    expect(await compileSpec(custom)).to.deep.equal([]);
  });

  it('summarises a chart for its text alternative', () => {
    const text = describeChart({ chartType: 'line', x: 'month', y: 'revenue' }, data, 'Revenue by month');
    expect(text).to.contain('Revenue by month.').and.contain('Line chart of Revenue by Order date').and.contain('4 data points');
  });
});

/** The demo story's revenue-by-category card: real rows and its chart shorthand. */
async function categoryData() {
  const { client, card } = await demoStory();
  const c = card('revenue-by-category');
  return { data: await client.cardData(c.id), visualization: c.visualization as ChartShorthand };
}

/** Resolves once the chart has drawn (the event may already have fired while the fixture settled). */
function rendered(el: InsightChart): Promise<unknown> {
  return el.view ? Promise.resolve() : oneEvent(el, 'insight-render');
}

describe('<insight-chart>', () => {
  it('lazily renders an SVG with one mark per row and fires insight-render', async () => {
    const { data: real, visualization } = await categoryData();
    const events: unknown[] = [];
    const el = await fixture<InsightChart>(
      html`<insight-chart card-id="c1" label="Revenue by category" .visualization=${visualization} .data=${real} @insight-render=${(e: CustomEvent) => events.push(e.detail)}></insight-chart>`,
    );
    await until(() => events.length > 0, 'insight-render');
    expect(events).to.deep.equal([{ cardId: 'c1' }]);
    const svg = shadow(el, '[part="canvas"] svg');
    expect(svg.getBoundingClientRect().width).to.be.greaterThan(100);
    expect(svg.querySelectorAll('.mark-rect path')).to.have.length(real.rows.length);
    const canvas = shadow(el, '[part="canvas"]');
    expect(canvas.getAttribute('role')).to.equal('img');
    expect(canvas.getAttribute('aria-label')).to.contain('Bar chart of Revenue by Category').and.contain(`${real.rows.length} data points`);
    await expect(el).to.be.accessible();
  });

  it('has a data table alternative with the same rows behind a toggle', async () => {
    const { data: real, visualization } = await categoryData();
    const el = await fixture<InsightChart>(html`<insight-chart label="Revenue by category" .visualization=${visualization} .data=${real}></insight-chart>`);
    await rendered(el);
    const table = shadow(el, '[part="data-table"]');
    expect(table.querySelectorAll('tbody tr')).to.have.length(real.rows.length);
    // Until shown, the table is visually hidden but read by screen readers (not display: none).
    expect(table.closest('#data')!.classList.contains('sr-only')).to.equal(true);
    expect(getComputedStyle(table).display).to.not.equal('none');
    const toggle = shadow<HTMLButtonElement>(el, '[part="data-toggle"]');
    expect(toggle.getAttribute('aria-expanded')).to.equal('false');
    toggle.click();
    await el.updateComplete;
    expect(toggle.getAttribute('aria-expanded')).to.equal('true');
    expect(table.closest('#data')!.classList.contains('sr-only')).to.equal(false);
    expect(table.getBoundingClientRect().height).to.be.greaterThan(0);
    await expect(el).to.be.accessible();
  });

  it('draws with the palette from --insight-chart-palette-1', async () => {
    const { data: real, visualization } = await categoryData();
    const wrapper = await fixture<HTMLDivElement>(html`<div style="--insight-chart-palette-1: rgb(255, 0, 0)">
      <insight-chart .visualization=${visualization} .data=${real}></insight-chart>
    </div>`);
    const el = wrapper.querySelector('insight-chart')!;
    await rendered(el);
    expect(shadow(el, '.mark-rect path').getAttribute('fill')).to.equal('rgb(255, 0, 0)');
  });

  it('finalizes the vega view when it leaves the page and when it re-renders', async () => {
    const { data: real, visualization } = await categoryData();
    const el = await fixture<InsightChart>(html`<insight-chart .visualization=${visualization} .data=${real}></insight-chart>`);
    await rendered(el);
    const finalized: string[] = [];
    const watch = (name: string) => {
      const view = el.view!;
      const original = view.finalize.bind(view);
      view.finalize = () => (finalized.push(name), original());
    };
    watch('first');
    el.data = { ...real, rows: real.rows.slice(0, 3) };
    await oneEvent(el, 'insight-render');
    expect(finalized).to.deep.equal(['first']);
    expect(shadowAll(el, '.mark-rect path')).to.have.length(3);

    watch('second');
    const parent = el.parentElement!;
    el.remove();
    expect(finalized).to.deep.equal(['first', 'second']);
    expect(el.view).to.equal(undefined);

    // Back on the page it draws again.
    parent.append(el);
    await oneEvent(el, 'insight-render');
    expect(el.view).to.not.equal(undefined);
  });

  it('renders line charts of dates', async () => {
    const { client, card } = await demoStory();
    const c = card('revenue-by-month');
    const real = await client.cardData(c.id);
    const el = await fixture<InsightChart>(html`<insight-chart .visualization=${c.visualization} .data=${real}></insight-chart>`);
    await rendered(el);
    await until(() => !!el.shadowRoot!.querySelector('.mark-line path'), 'line path');
    expect(shadow(el, '.mark-line path').getAttribute('d')).to.match(/^M/);
    expect(shadowAll(el, '.mark-symbol path')).to.have.length(real.rows.length);
  });
});

describe('<insight-chart> drill-down', () => {
  it('fires insight-drill for a clicked mark and for Enter on a row of its data table', async () => {
    const { client, card } = await demoStory();
    const c = card('revenue-by-region');
    const real = await client.cardData(c.id);
    const drills: Array<Record<string, unknown>> = [];
    const el = await fixture<InsightChart>(html`<insight-chart
      card-id="c9"
      label="Revenue by region"
      .visualization=${c.visualization}
      .data=${real}
      .drill=${{ page: 'region-detail', filters: { region: 'region' } }}
      @insight-drill=${(e: CustomEvent) => drills.push(e.detail)}
    ></insight-chart>`);
    await rendered(el);
    // vega's own event handling: a click on the SVG path of a bar.
    const bar = shadowAll(el, '.mark-rect path')[0]!;
    bar.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, clientX: 1, clientY: 1 }));
    await until(() => drills.length === 1, 'drill by click');
    expect(drills[0]).to.deep.include({ cardId: 'c9', page: 'region-detail', filters: { region: real.rows[0]![0] } });
    expect(drills[0]!['datum']).to.deep.equal({ region: real.rows[0]![0], revenue: real.rows[0]![1] });

    const row = shadow<HTMLTableRowElement>(el, '[part="data-table"] tbody tr:nth-child(2)');
    expect(row.tabIndex).to.equal(-1);
    shadow(el, '[part="data-toggle"]').click();
    await el.updateComplete;
    expect(row.tabIndex).to.equal(0);
    row.focus();
    await sendKeys({ press: 'Enter' });
    expect(drills[1]!['filters']).to.deep.equal({ region: real.rows[1]![0] });
    await expect(el).to.be.accessible();
  });

  it('compiles every chart type of the shorthand without warnings', async () => {
    for (const chartType of ['bar', 'line', 'area', 'scatter', 'pie', 'donut', 'heatmap', 'stacked_bar'] as const) {
      const spec = toVegaLite({ chartType, x: chartType === 'scatter' ? 'orders' : chartType === 'heatmap' ? 'region' : 'month', y: 'revenue', color: chartType === 'stacked_bar' ? 'region' : undefined }, data, { clickable: true }) as Spec;
      expect(spec['config'].mark.cursor, chartType).to.equal('pointer');
      expect(await compileSpec(spec), chartType).to.deep.equal([]);
    }
    // Bars over calendar periods span their month or quarter.
    const quarterly = toVegaLite({ chartType: 'stacked_bar', x: 'quarter', y: 'revenue', color: 'region' }, {
      columns: [{ name: 'quarter', type: 'date' }, { name: 'region', type: 'string' }, { name: 'revenue', type: 'number' }],
      rows: [['2024-01-01', 'East', 1], ['2024-04-01', 'East', 2], ['2024-07-01', 'West', 3]],
    }) as Spec;
    expect(quarterly['encoding'].x.timeUnit).to.equal('yearquarter');
    expect((toVegaLite({ chartType: 'bar', x: 'month', y: 'revenue' }, data) as Spec)['encoding'].x.timeUnit).to.equal('yearmonth');
  });
});

describe('<insight-chart> theming', () => {
  it('redraws when the palette or theme changes', async () => {
    const { client, card } = await demoStory();
    const c = card('revenue-by-category');
    const real = await client.cardData(c.id);
    const wrapper = await fixture<HTMLDivElement>(html`<div style="--insight-chart-palette-1: rgb(255, 0, 0)">
      <insight-chart .visualization=${c.visualization} .data=${real}></insight-chart>
    </div>`);
    const el = wrapper.querySelector('insight-chart')!;
    await until(() => !!el.view, 'first paint');
    await until(() => el.shadowRoot!.querySelector('.mark-rect path')?.getAttribute('fill') === 'rgb(255, 0, 0)', 'red bars');
    wrapper.style.setProperty('--insight-chart-palette-1', 'rgb(0, 0, 255)');
    await until(() => el.shadowRoot!.querySelector('.mark-rect path')?.getAttribute('fill') === 'rgb(0, 0, 255)', 'blue bars');
  });
});

/** Lets the browser lay out and run observers for `count` frames (no assertion depends on how long that takes). */
async function frames(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((r) => requestAnimationFrame(() => r(undefined)));
}

/** Width of the drawn SVG, 0 before the chart has drawn. */
function svgWidth(el: InsightChart): number {
  return el.shadowRoot?.querySelector('[part="canvas"] svg')?.getBoundingClientRect().width ?? 0;
}

/** The chart has drawn and its SVG spans its container (to the pixel). */
function fitsContainer(el: InsightChart): boolean {
  const width = el.getBoundingClientRect().width;
  return !!el.view && width > 0 && Math.abs(svgWidth(el) - width) <= 1;
}

describe('<insight-chart> layout', () => {
  it('mounted hidden, draws nothing at width 0 and draws at the container width once shown', async () => {
    const { data: real, visualization } = await categoryData();
    const renders: unknown[] = [];
    const wrapper = await fixture<HTMLDivElement>(html`<div style="display: none; width: 480px">
      <insight-chart .visualization=${visualization} .data=${real} @insight-render=${(e: Event) => renders.push(e)}></insight-chart>
    </div>`);
    const el = wrapper.querySelector('insight-chart')!;
    await el.updateComplete;
    // The observer has reported the hidden size by now; the chart waits for a width.
    await frames(3);
    expect(el.view).to.equal(undefined);
    expect(renders).to.have.length(0);
    expect(shadowAll(el, '[part="canvas"] svg')).to.have.length(0);

    wrapper.style.display = 'block';
    await until(() => fitsContainer(el), 'a chart as wide as its container');
    expect(svgWidth(el)).to.be.within(479, 481);
    expect(renders).to.have.length(1);
  });

  it('follows its container when it resizes, and when it was sized again while vega was still drawing', async () => {
    const { data: real, visualization } = await categoryData();
    const wrapper = await fixture<HTMLDivElement>(html`<div style="width: 120px"><insight-chart .visualization=${visualization} .data=${real}></insight-chart></div>`);
    const el = wrapper.querySelector('insight-chart')!;
    await el.updateComplete;
    // A late layout: the paint starts at the first width reported, then the card gets its real width.
    await frames(1);
    wrapper.style.width = '560px';
    await until(() => fitsContainer(el) && svgWidth(el) > 500, 'a chart at the width laid out late');
    const view = el.view;

    wrapper.style.width = '320px';
    await until(() => fitsContainer(el) && svgWidth(el) < 330, 'a chart that narrowed with its container');
    // Resized in place, not drawn again.
    expect(el.view).to.equal(view);
  });

  it('on a slow CPU, charts laid out again while vega draws them, or mounted hidden, all end at their container width', async () => {
    const { data: real, visualization } = await categoryData();
    await executeServerCommand('insight-cpu-throttle', { rate: 6 });
    try {
      // A filters page on a phone: the grid starts in two narrow columns and settles into one while the charts draw.
      const wrapper = await fixture<HTMLDivElement>(html`<div style="display: grid; grid-template-columns: 1fr 1fr; gap: 8px; width: 200px">
        ${[0, 1, 2].map(() => html`<insight-chart .visualization=${visualization} .data=${real}></insight-chart>`)}
        <div style="display: none" class="tab"><insight-chart .visualization=${visualization} .data=${real}></insight-chart></div>
      </div>`);
      wrapper.style.width = '390px';
      wrapper.style.gridTemplateColumns = '1fr';
      const tab = wrapper.querySelector<HTMLElement>('.tab')!;
      tab.style.display = 'block';
      const charts = [...wrapper.querySelectorAll('insight-chart')];
      await until(() => charts.every((c) => fitsContainer(c)), 'every chart as wide as its container');
      for (const chart of charts) expect(svgWidth(chart)).to.be.within(389, 391);
    } finally {
      await executeServerCommand('insight-cpu-throttle', { rate: 1 });
    }
  });

  it('draws no axes for data without rows', async () => {
    const { data: real, visualization } = await categoryData();
    const renders: unknown[] = [];
    const el = await fixture<InsightChart>(
      html`<insight-chart .visualization=${visualization} .data=${{ ...real, rows: [], rowCount: 0 }} @insight-render=${(e: Event) => renders.push(e)}></insight-chart>`,
    );
    await until(() => renders.length === 1, 'insight-render of the empty chart');
    expect(shadow(el, '[part="empty"]').textContent).to.contain('No data');
    expect(shadowAll(el, '[part="canvas"] svg')).to.have.length(0);
    expect(el.view).to.equal(undefined);
    // New rows draw the chart; none again clears it.
    el.data = real;
    await until(() => !!el.view, 'a chart of the new rows');
    el.data = { ...real, rows: [], rowCount: 0 };
    await until(() => renders.length === 3, 'insight-render of the empty chart again');
    expect(shadowAll(el, '[part="canvas"] svg')).to.have.length(0);
    await expect(el).to.be.accessible();
  });
});
