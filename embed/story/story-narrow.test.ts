import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys, setViewport } from '@web/test-runner-commands';
import { shadow, shadowAll, testServer, testToken, until } from '../testing/fixtures.ts';
import type { InsightStory } from './story.component.ts';
import './story.ts';

/** The fade a scroll frame shows on `side` (its pseudo-element's opacity). */
const fade = (frame: Element, side: 'start' | 'end') => getComputedStyle(frame, side === 'start' ? '::before' : '::after').opacity;

/** Waits until the frame marks exactly `more` (e.g. 'end', 'start', 'start end' or '' for none) and its fades show it. */
async function cue(frame: Element, more: string): Promise<void> {
  const expected = more.split(' ').filter(Boolean);
  await until(
    () =>
      (frame.getAttribute('data-more') ?? '') === more &&
      fade(frame, 'start') === (expected.includes('start') ? '1' : '0') &&
      fade(frame, 'end') === (expected.includes('end') ? '1' : '0'),
    `scroll cue "${more}"`,
  );
}

/** Whether anything inside the story makes it wider than the host. */
const overflows = (el: Element) => el.scrollWidth > el.clientWidth + 1 || document.documentElement.scrollWidth > window.innerWidth;

describe('<insight-story> on a 390 px wide screen', () => {
  beforeEach(async () => {
    await setViewport({ width: 390, height: 844 });
  });

  afterEach(async () => {
    document.body.style.margin = '';
    await setViewport({ width: 800, height: 600 });
  });

  async function renderNarrow(): Promise<InsightStory> {
    const wrapper = await fixture<HTMLDivElement>(html`<div style="width: 100%"></div>`);
    document.body.style.margin = '0';
    const el = document.createElement('insight-story');
    let ready = false;
    el.addEventListener('insight-ready', () => (ready = true));
    el.server = await testServer();
    el.token = await testToken({ story: 'component-lab' });
    wrapper.append(el);
    await until(() => ready, 'insight-ready');
    await el.updateComplete;
    return el;
  }

  it('scrolls the tab list sideways with a fade on the side hiding tabs, and keeps the selected tab in view', async () => {
    const el = await renderNarrow();
    const list = shadow(el, '[role="tablist"]');
    const frame = list.parentElement!;
    expect(el.getBoundingClientRect().width).to.equal(390);
    expect(list.scrollWidth, 'the tabs are wider than a phone').to.be.greaterThan(list.clientWidth);
    await cue(frame, 'end');
    expect(overflows(el)).to.equal(false);

    // Scrolling to the end removes the end fade and shows the start one.
    list.scrollLeft = list.scrollWidth;
    await cue(frame, 'start');
    list.scrollLeft = 0;
    await cue(frame, 'end');

    // The keyboard selects the last tab and the list scrolls it into view (clear of the fade).
    const tabs = shadowAll(el, '[role="tab"]');
    tabs[0]!.focus();
    await sendKeys({ press: 'End' });
    await el.updateComplete;
    const last = tabs.at(-1)!;
    expect(last.getAttribute('aria-selected')).to.equal('true');
    expect(el.shadowRoot!.activeElement).to.equal(last);
    const box = list.getBoundingClientRect();
    expect(last.getBoundingClientRect().right).to.be.at.most(box.right + 0.5);
    await cue(frame, 'start');
    expect(window.scrollX).to.equal(0);

    // A page chosen in code scrolls its tab into view as well.
    el.setState({ page: 'lab' });
    await el.updateComplete;
    expect(tabs[0]!.getBoundingClientRect().left).to.be.at.least(box.left - 0.5);
    await cue(frame, 'end');
    await expect(el).to.be.accessible();
  });

  it('scrolls a wide table sideways from the keyboard, with a fade while columns are hidden, inside the host width', async () => {
    const el = await renderNarrow();
    el.setState({ page: 'wide' });
    await el.updateComplete;
    const cardEl = shadow(el, 'insight-card[data-card="wide-table"]');
    await until(() => !!cardEl.shadowRoot?.querySelector('insight-table')?.shadowRoot?.querySelector('tbody tr'), 'table rows');
    const table = shadow(cardEl, 'insight-table');
    const scroll = shadow(table, '.scroll');
    const frame = scroll.parentElement!;
    expect(scroll.scrollWidth - scroll.clientWidth, 'the table is much wider than a phone').to.be.greaterThan(100);
    await cue(frame, 'end');
    expect(overflows(el)).to.equal(false);

    // A named region that takes focus, so arrow keys scroll it.
    expect(scroll.getAttribute('role')).to.equal('region');
    expect(scroll.getAttribute('aria-label')).to.equal('Customers, products and revenue (scrolls sideways)');
    scroll.focus();
    expect(table.shadowRoot!.activeElement).to.equal(scroll);
    await sendKeys({ press: 'ArrowRight' });
    await until(() => scroll.scrollLeft > 0, 'scrolled by the keyboard');
    await cue(frame, 'start end');

    scroll.scrollLeft = scroll.scrollWidth;
    await cue(frame, 'start');
    expect(overflows(el)).to.equal(false);
    await expect(el).to.be.accessible();
  });
});
