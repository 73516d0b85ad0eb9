import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { StoryFilter } from '../../sdk/protocol.ts';
import type { InsightFilterChangeDetail } from '../shared/events.ts';
import { demoStory, shadow, shadowAll, until } from '../testing/fixtures.ts';
import { DATE_PRESETS, type InsightFilterBar } from './filter-bar.component.ts';
import './filter-bar.ts';

const filter = (type: StoryFilter['type'], name: string, label: string, defaultValue: StoryFilter['defaultValue'] = null): StoryFilter => ({
  id: `f-${name}`,
  name,
  label,
  type,
  column: name,
  defaultValue,
  options: {},
});

async function renderBar(filters: StoryFilter[], client: unknown = null, values = {}) {
  const changes: InsightFilterChangeDetail[] = [];
  const el = await fixture<InsightFilterBar>(html`<insight-filter-bar
    .filters=${filters}
    .client=${client}
    .values=${values}
    @insight-filter-change=${(e: CustomEvent<InsightFilterChangeDetail>) => changes.push(e.detail)}
  ></insight-filter-bar>`);
  await el.optionsComplete;
  await el.updateComplete;
  return { el, changes };
}

function choose(select: HTMLSelectElement, value: string) {
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

function type(input: HTMLInputElement, value: string, event: 'input' | 'change' = 'change') {
  input.value = value;
  input.dispatchEvent(new Event(event, { bubbles: true }));
}

describe('<insight-filter-bar>', () => {
  it('labels every control and loads select options from the server', async () => {
    const { client, story } = await demoStory();
    const { el } = await renderBar(story.filters, client);
    const labels = shadowAll(el, '.label').map((l) => l.textContent);
    expect(labels).to.deep.equal(['Order date', 'Region', 'Category', 'Line value ($)', 'Customer']);
    // Values of the multi-select come from the server too, as checkboxes.
    const categories = shadowAll<HTMLInputElement>(el, `#filter-${story.filters[2]!.id}-list input[type="checkbox"]`).map((i) => i.value);
    expect(categories).to.have.length(5);
    expect(categories).to.include('Tents');
    const region = shadow<HTMLSelectElement>(el, `#filter-${story.filters[1]!.id}`);
    expect(region.labels[0]!.textContent).to.equal('Region');
    expect([...region.options].map((o) => o.textContent)).to.deep.equal(['All', 'Central', 'East', 'North', 'South', 'West']);
    const preset = shadow<HTMLSelectElement>(el, `#filter-${story.filters[0]!.id}`);
    expect([...preset.options].map((o) => o.value)).to.deep.equal(['', ...DATE_PRESETS, 'custom']);
    for (const input of shadowAll<HTMLInputElement>(el, 'input[type="date"]')) expect(input.labels![0]!.textContent!.trim()).to.match(/^(From|To)$/);
    await expect(el).to.be.accessible();
  });

  it('fires insight-filter-change on user choices only', async () => {
    const { client, story } = await demoStory();
    const { el, changes } = await renderBar(story.filters, client);
    const [period, region] = story.filters;

    el.values = { region: 'West' };
    await el.updateComplete;
    expect(changes).to.have.length(0);
    expect(shadow<HTMLSelectElement>(el, `#filter-${region!.id}`).value).to.equal('West');

    choose(shadow<HTMLSelectElement>(el, `#filter-${region!.id}`), 'East');
    expect(changes.at(-1)).to.deep.equal({ filters: { region: 'East' } });

    choose(shadow<HTMLSelectElement>(el, `#filter-${period!.id}`), 'last_30_days');
    expect(changes.at(-1)).to.deep.equal({ filters: { region: 'East', period: { preset: 'last_30_days' } } });

    const [from, to] = shadowAll<HTMLInputElement>(el, 'input[type="date"]');
    type(from!, '2024-01-01');
    type(to!, '2024-06-30');
    expect(changes.at(-1)).to.deep.equal({ filters: { region: 'East', period: { from: '2024-01-01', to: '2024-06-30' } } });
    await el.updateComplete;
    expect(shadow<HTMLSelectElement>(el, `#filter-${period!.id}`).value).to.equal('custom');

    choose(shadow<HTMLSelectElement>(el, `#filter-${region!.id}`), '');
    expect(changes.at(-1)).to.deep.equal({ filters: { period: { from: '2024-01-01', to: '2024-06-30' } } });

    await el.updateComplete;
    shadow<HTMLButtonElement>(el, '[part="reset-button"]').click();
    expect(changes.at(-1)).to.deep.equal({ filters: {} });
    await el.updateComplete;
    expect(shadow<HTMLButtonElement>(el, '[part="reset-button"]').disabled).to.equal(true);
    expect(changes).to.have.length(6);
  });

  it('fills From and To with the days a preset stands for, the same days the server filters by', async () => {
    const { client, story, card } = await demoStory();
    const { el, changes } = await renderBar(story.filters, client);
    const period = story.filters[0]!;
    const [from, to] = shadowAll<HTMLInputElement>(el, 'input[type="date"]');
    expect([from!.value, to!.value]).to.deep.equal(['', '']);

    // Days in UTC, as the server counts them.
    const now = new Date();
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    choose(shadow<HTMLSelectElement>(el, `#filter-${period.id}`), 'last_7_days');
    await el.updateComplete;
    expect([from!.value, to!.value]).to.deep.equal([day(today - 6 * 86_400_000), day(today)]);
    expect(to!.min).to.equal(from!.value);
    expect(from!.max).to.equal(to!.value);

    choose(shadow<HTMLSelectElement>(el, `#filter-${period.id}`), 'last_year');
    await el.updateComplete;
    const year = now.getUTCFullYear() - 1;
    expect([from!.value, to!.value]).to.deep.equal([`${year}-01-01`, `${year}-12-31`]);
    expect(changes.at(-1)).to.deep.equal({ filters: { period: { preset: 'last_year' } } });
    expect(shadow<HTMLSelectElement>(el, `#filter-${period.id}`).value).to.equal('last_year');

    // Editing a shown day turns the preset into a custom range from those days.
    type(to!, `${year}-06-30`);
    expect(changes.at(-1)).to.deep.equal({ filters: { period: { from: `${year}-01-01`, to: `${year}-06-30` } } });
    await el.updateComplete;
    expect(shadow<HTMLSelectElement>(el, `#filter-${period.id}`).value).to.equal('custom');

    // The server reads the preset as the days shown: the same revenue either way (and some: the demo has last year's orders).
    choose(shadow<HTMLSelectElement>(el, `#filter-${period.id}`), 'last_year');
    await el.updateComplete;
    const id = card('total-revenue').id;
    const byPreset = await client.cardData(id, { period: { preset: 'last_year' } });
    const byDays = await client.cardData(id, { period: { from: from!.value, to: to!.value } });
    const allTime = await client.cardData(id);
    expect(byDays.rows).to.deep.equal(byPreset.rows);
    expect(Number(byPreset.rows[0]![0])).to.be.greaterThan(0);
    expect(byPreset.rows).to.not.deep.equal(allTime.rows);
  });

  it('sets null to clear a filter that has a default', async () => {
    const { el, changes } = await renderBar([filter('select', 'tier', 'Tier', 'Gold')]);
    const select = shadow<HTMLSelectElement>(el, 'select');
    expect(select.value).to.equal('Gold');
    choose(select, '');
    expect(changes.at(-1)).to.deep.equal({ filters: { tier: null } });
  });

  it('debounces search input', async () => {
    const { el, changes } = await renderBar([filter('search', 'q', 'Customer')]);
    const input = shadow<HTMLInputElement>(el, 'input[type="search"]');
    expect(input.labels![0]!.textContent).to.equal('Customer');
    type(input, 'Ol', 'input');
    type(input, 'Oli', 'input');
    type(input, 'Oliv', 'input');
    expect(changes).to.have.length(0);
    // The three inputs came within one debounce window (synchronously): one change, with the last value.
    await until(() => changes.length > 0, 'debounced change');
    expect(changes).to.deep.equal([{ filters: { q: 'Oliv' } }]);
  });

  it('number range and multi-select controls', async () => {
    const { el, changes } = await renderBar([filter('range', 'amount', 'Amount'), filter('multi_select', 'tags', 'Tags')], null, { tags: ['a', 'b', 'c'] });
    const [min, max] = shadowAll<HTMLInputElement>(el, 'input[type="number"]');
    expect(min!.labels![0]!.textContent!.trim()).to.equal('Min');
    type(min!, '10');
    type(max!, '99.5');
    expect(changes.at(-1)).to.deep.equal({ filters: { tags: ['a', 'b', 'c'], amount: { min: 10, max: 99.5 } } });

    // A multi-select is a button naming the choice, opening a list of checkboxes.
    const button = shadow<HTMLButtonElement>(el, 'button.multi-button');
    expect(button.textContent!.trim()).to.equal('3 selected');
    expect(button.getAttribute('aria-expanded')).to.equal('false');
    button.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(button.getAttribute('aria-expanded')).to.equal('true');
    const boxes = shadowAll<HTMLInputElement>(el, '[part="option"] input[type="checkbox"]');
    expect(boxes.map((b) => b.checked)).to.deep.equal([true, true, true]);
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'Tab' });
    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement).to.equal(boxes[1]);
    await sendKeys({ press: 'Space' });
    expect(changes.at(-1)!.filters['tags']).to.deep.equal(['a', 'c']);
    await el.updateComplete;
    expect(button.textContent!.trim()).to.equal('a, c');
    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(button.getAttribute('aria-expanded')).to.equal('false');
    expect(el.shadowRoot!.activeElement).to.equal(button);
  });

  it('folds behind a Filters button on narrow screens', async () => {
    const { client, story } = await demoStory();
    const wrapper = await fixture<HTMLDivElement>(html`<div style="width: 360px"></div>`);
    const el = document.createElement('insight-filter-bar');
    el.filters = story.filters;
    el.client = client;
    el.values = { region: 'West' };
    wrapper.append(el);
    await el.updateComplete;
    const fold = shadow<HTMLButtonElement>(el, '[part="fold-button"]');
    const bar = shadow(el, '[part="base"]');
    expect(getComputedStyle(fold).display).to.not.equal('none');
    expect(fold.textContent!.replace(/\s+/g, ' ').trim()).to.equal('Filters 1');
    expect(getComputedStyle(bar).display).to.equal('none');
    fold.click();
    await el.updateComplete;
    expect(fold.getAttribute('aria-expanded')).to.equal('true');
    expect(getComputedStyle(bar).display).to.not.equal('none');
    await expect(el).to.be.accessible();
    wrapper.style.width = '900px';
    await new Promise((r) => requestAnimationFrame(r));
    expect(getComputedStyle(fold).display).to.equal('none');
  });

  it('is reachable with the keyboard', async () => {
    const { client, story } = await demoStory();
    const { el, changes } = await renderBar(story.filters, client);
    const region = shadow<HTMLSelectElement>(el, `#filter-${story.filters[1]!.id}`);
    const before = document.createElement('button');
    before.textContent = 'before';
    el.before(before);
    before.focus();
    // Tab walks preset, the date inputs (Chrome stops at each date segment), then the region select.
    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement).to.equal(shadow(el, `#filter-${story.filters[0]!.id}`));
    for (let i = 0; i < 10 && el.shadowRoot!.activeElement !== region; i++) await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement).to.equal(region);
    await sendKeys({ press: 'ArrowDown' });
    await until(() => changes.length > 0, 'change by keyboard');
    expect(changes[0]).to.deep.equal({ filters: { region: 'Central' } });
    before.remove();
  });
});
