import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia, sendKeys, setViewport } from '@web/test-runner-commands';
import { createInsightClient } from '../../sdk/client.ts';
import type { AskResponse } from '../../sdk/protocol.ts';
import type { InsightAskDetail, InsightErrorDetail, InsightRenderDetail } from '../shared/events.ts';
import { demoStory, shadow, shadowAll, testAiServer, testServer, testToken, until } from '../testing/fixtures.ts';
import type { InsightAsk } from './ask.component.ts';
import { matchQuestions } from './match-questions.ts';
import { questionFromChips } from './question-from-chips.ts';
import './ask.ts';

interface Log {
  asked: InsightAskDetail[];
  errors: InsightErrorDetail[];
  renders: InsightRenderDetail[];
}

/** Questions the client sent, read from the requests themselves. */
interface Sent {
  questions: string[];
  signals: AbortSignal[];
}

const ASK_TOKEN = { permissions: 'view,drill,ask' };

/** A client of the test server that records each question it sends (and its abort signal). */
async function recordingClient(token?: string) {
  const sent: Sent = { questions: [], signals: [] };
  const client = createInsightClient({
    server: await testServer(),
    token: token ?? (await testToken(ASK_TOKEN)),
    fetch: (input, init) => {
      if (String(input).endsWith('/api/embed/ask') && typeof init?.body === 'string') {
        sent.questions.push((JSON.parse(init.body) as { question: string }).question);
        sent.signals.push(init.signal!);
      }
      return fetch(input, init);
    },
  });
  return { client, sent };
}

/** A client of the test server that records the status of each suggestions request it makes. */
function suggestionsClient(server: string, token: string) {
  const fetched: Array<Promise<number>> = [];
  const client = createInsightClient({
    server,
    token,
    fetch: (input, init) => {
      const response = fetch(input, init);
      if (String(input).endsWith('/api/embed/ask/suggestions')) fetched.push(response.then((r) => r.status));
      return response;
    },
  });
  return { client, fetched };
}

/** An `<insight-ask>` in a sized wrapper, with its events logged from the start. */
async function renderAsk(options: { client?: unknown; server?: string; token?: string; style?: string; theme?: 'light' | 'dark' } = {}) {
  const wrapper = await fixture<HTMLDivElement>(html`<div style=${options.style ?? 'width: 800px'}></div>`);
  const el = document.createElement('insight-ask');
  const log: Log = { asked: [], errors: [], renders: [] };
  el.addEventListener('insight-ask', (e) => log.asked.push(e.detail));
  el.addEventListener('insight-error', (e) => log.errors.push(e.detail));
  el.addEventListener('insight-render', (e) => log.renders.push(e.detail));
  if (options.client) el.client = options.client as InsightAsk['client'];
  else {
    el.server = options.server ?? (await testServer());
    el.token = options.token ?? (await testToken(ASK_TOKEN));
  }
  if (options.theme) el.theme = options.theme;
  wrapper.append(el);
  await el.updateComplete;
  return { el, log, wrapper };
}

const input = (el: InsightAsk) => shadow<HTMLInputElement>(el, 'input');
const options = (el: InsightAsk) => shadowAll(el, '[role="option"]');
const text = (node: Element) => (node.textContent ?? '').replace(/\s+/g, ' ').trim();

/** Types into the question box with real key presses. */
async function typeQuestion(el: InsightAsk, question: string): Promise<void> {
  input(el).focus();
  await sendKeys({ type: question });
  await el.updateComplete;
}

async function answered(el: InsightAsk, log: Log, count: number): Promise<AskResponse> {
  await until(() => log.asked.length >= count || log.errors.length > 0, `answer ${count}`);
  expect(log.errors, 'errors').to.deep.equal([]);
  await el.updateComplete;
  return el.answer!;
}

describe('<insight-ask>', () => {
  afterEach(async () => {
    await setViewport({ width: 800, height: 600 });
  });

  it('asks a question typed with the keyboard and charts the real rows', async () => {
    const { client: storyClient, card } = await demoStory();
    const { el, log } = await renderAsk();
    await typeQuestion(el, 'revenue by region');
    await sendKeys({ press: 'Enter' });
    await until(() => shadow(el, '[part="base"]').getAttribute('aria-busy') === 'true' || log.asked.length > 0, 'busy');
    const answer = await answered(el, log, 1);

    expect(answer.status).to.equal('answered');
    expect(log.asked).to.deep.equal([{ question: answer.question, status: 'answered', engine: answer.engine, rowCount: answer.rowCount }]);
    expect(answer.visualization, 'a chart is suggested').to.not.equal(null);
    // The same regions as the story's own "revenue by region" card shows for tenant 1.
    const byRegion = await storyClient.cardData(card('revenue-by-region').id);
    const regionsOf = (rows: unknown[][], columns: Array<{ name: string; type: string }>) => {
      const i = columns.findIndex((c) => c.type === 'string');
      return rows.map((r) => String(r[i])).sort();
    };
    expect(regionsOf(answer.rows, answer.columns)).to.deep.equal(regionsOf(byRegion.rows, byRegion.columns));

    await until(() => log.renders.length > 0, 'chart painted');
    const chart = shadow(el, 'insight-chart');
    expect(shadowAll(chart, 'svg .mark-rect path')).to.have.length(answer.rows.length);
    expect(shadow(chart, '[role="img"]').getAttribute('aria-label')).to.contain('revenue by region');
    expect(el.shadowRoot!.querySelector('insight-table')).to.equal(null);

    expect(shadow(el, '[part="base"]').getAttribute('aria-busy')).to.equal('false');
    expect(text(shadow(el, '[part="explanation"]'))).to.equal(answer.explanation);
    expect(text(shadow(el, '[part="engine-badge"]'))).to.equal(answer.engine === 'llm' ? 'AI' : 'offline');
    expect(text(shadow(el, '[part="row-count"]'))).to.contain(`${answer.rowCount} rows`);
    expect(text(shadow(el, '[role="status"]'))).to.contain(answer.explanation);
    expect(shadowAll(el, '[part="chip"] .chip-label').map((l) => l.textContent)).to.deep.equal(answer.understood.map((c) => c.label));
    expect(input(el).value).to.equal('revenue by region');
  });

  it('shows an answer without a suggested chart as a table', async () => {
    const { el, log } = await renderAsk();
    const answer = await el.ask('revenue');
    await answered(el, log, 1);
    expect(answer!.status).to.equal('answered');
    expect(answer!.visualization).to.equal(null);
    expect(el.shadowRoot!.querySelector('insight-chart')).to.equal(null);
    const table = shadow(el, 'insight-table');
    await (table as HTMLElement & { updateComplete: Promise<unknown> }).updateComplete;
    expect(shadowAll(table, 'tbody tr')).to.have.length(answer!.rows.length);
    expect(shadow(table, 'caption').textContent).to.equal('revenue');
    expect(text(shadow(table, 'tbody td'))).to.match(/^\$[\d,]+\.\d\d$/);
    expect(text(shadow(el, '[part="row-count"]'))).to.equal('1 row');
  });

  it('offers server suggestions in a listbox, moves with the arrow keys and asks the chosen one', async () => {
    const { client, sent } = await recordingClient();
    const { suggestions } = await client.askSuggestions();
    expect(suggestions.length, 'the server suggests questions').to.be.greaterThan(1);
    const { el, log } = await renderAsk({ client });
    input(el).focus();
    await until(() => options(el).length > 0, 'suggestions');
    const listbox = shadow(el, '[role="listbox"]');
    expect(listbox.getAttribute('aria-label')).to.equal('Suggested questions');
    expect(input(el).getAttribute('aria-expanded')).to.equal('true');
    expect(input(el).getAttribute('aria-controls')).to.equal(listbox.id);
    expect(options(el).map(text)).to.deep.equal(suggestions.slice(0, 8));

    await sendKeys({ press: 'ArrowDown' });
    await sendKeys({ press: 'ArrowDown' });
    await el.updateComplete;
    const active = options(el)[1]!;
    expect(input(el).getAttribute('aria-activedescendant')).to.equal(active.id);
    expect(active.getAttribute('aria-selected')).to.equal('true');
    await sendKeys({ press: 'ArrowUp' });
    await el.updateComplete;
    expect(input(el).getAttribute('aria-activedescendant')).to.equal(options(el)[0]!.id);

    await sendKeys({ press: 'Enter' });
    await answered(el, log, 1);
    expect(sent.questions).to.deep.equal([suggestions[0]]);
    expect(input(el).value).to.equal(suggestions[0]);
    expect(input(el).getAttribute('aria-expanded')).to.equal('false');
  });

  it("uses the server's first suggestion for the datasets as the placeholder, fetched once per token", async () => {
    const server = await testServer();
    const token = await testToken(ASK_TOKEN);
    const { suggestions } = await createInsightClient({ server, token }).askSuggestions();
    expect(suggestions.length, 'the server suggests questions').to.be.greaterThan(0);
    const { client, fetched } = suggestionsClient(server, token);
    const { el, log } = await renderAsk({ client });
    await until(() => input(el).placeholder === `e.g. ${suggestions[0]}`, 'placeholder from suggestions');

    // Asking and other renders keep the suggestions fetched once.
    el.label = 'Your question';
    await typeQuestion(el, 'orders by category');
    await sendKeys({ press: 'Enter' });
    await answered(el, log, 1);
    expect(fetched.length).to.equal(1);

    // A placeholder set by the host wins.
    el.placeholder = 'What would you like to know?';
    await el.updateComplete;
    expect(input(el).placeholder).to.equal('What would you like to know?');
    el.placeholder = '';
    await el.updateComplete;
    expect(input(el).placeholder).to.equal(`e.g. ${suggestions[0]}`);
  });

  it('falls back to a neutral placeholder when the server suggests nothing', async () => {
    // A token without "ask" gets no suggestions: the server refuses them.
    const { client, fetched } = suggestionsClient(await testServer(), await testToken({ permissions: 'view' }));
    const { el } = await renderAsk({ client });
    expect(input(el).placeholder).to.equal('Ask a question about this data');
    await until(() => fetched.length === 1, 'suggestions asked for');
    const status = await fetched[0];
    expect(status).to.equal(403);
    await el.updateComplete;
    expect(input(el).placeholder).to.equal('Ask a question about this data');
  });

  it('offers past questions of the session that match what is typed, and Escape clears the box', async () => {
    const { el, log } = await renderAsk();
    await typeQuestion(el, 'orders by category');
    await sendKeys({ press: 'Enter' });
    await answered(el, log, 1);

    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(input(el).value).to.equal('');
    await sendKeys({ type: 'ord cat' });
    await el.updateComplete;
    const recent = options(el)[0]!;
    expect(text(recent)).to.equal('orders by category Recent');
    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(input(el).value).to.equal('');
    expect(input(el).getAttribute('aria-expanded')).to.equal('false');
    expect(input(el).hasAttribute('aria-activedescendant')).to.equal(false);
  });

  it('asks for clarification naming the unknown words, and a suggestion button asks that question', async () => {
    const { client, sent } = await recordingClient();
    const { el, log } = await renderAsk({ client });
    await el.ask('revenue by zorblax');
    const clarify = await answered(el, log, 1);

    expect(clarify.status).to.equal('clarify');
    expect(log.asked[0]).to.deep.equal({ question: clarify.question, status: 'clarify', engine: clarify.engine, rowCount: 0 });
    expect(clarify.clarification!.unknownWords).to.include('zorblax');
    const box = shadow(el, '[part="clarification"]');
    expect(text(box)).to.contain(clarify.clarification!.message);
    expect(shadowAll(el, '[part="unknown-word"]').map(text)).to.include('zorblax');
    expect(text(shadow(el, '[role="status"]'))).to.contain(clarify.clarification!.message);
    expect(el.shadowRoot!.querySelector('insight-chart, insight-table')).to.equal(null);

    const buttons = shadowAll<HTMLButtonElement>(el, '[part="suggestion-button"]');
    expect(buttons.map(text)).to.deep.equal(clarify.clarification!.suggestions);
    expect(buttons.length).to.be.greaterThan(0);
    const chosen = clarify.clarification!.suggestions[0]!;
    buttons[0]!.click();
    const next = await answered(el, log, 2);
    expect(sent.questions).to.deep.equal(['revenue by zorblax', chosen]);
    expect(log.asked[1]!.question).to.equal(next.question);
    expect(next.status).to.equal('answered');
    expect(input(el).value).to.equal(chosen);
    expect(el.shadowRoot!.activeElement).to.equal(input(el));
  });

  it('removing an understood chip asks again without its words', async () => {
    const { client, sent } = await recordingClient();
    const { el, log } = await renderAsk({ client });
    const first = await el.ask('revenue by region last year');
    await answered(el, log, 1);
    expect(first!.status).to.equal('answered');
    expect(first!.understood.length, 'several chips').to.be.greaterThan(1);

    const removed = first!.understood.length - 1;
    const chip = shadowAll(el, '[part="chip"]')[removed]!;
    const remove = chip.querySelector<HTMLButtonElement>('[part="chip-remove"]')!;
    expect(remove.getAttribute('aria-label')).to.equal(`Remove ${first!.understood[removed]!.label} and ask again`);
    remove.click();
    const second = await answered(el, log, 2);

    const expected = questionFromChips(first!.understood, removed);
    expect(sent.questions).to.deep.equal(['revenue by region last year', expected]);
    expect(input(el).value).to.equal(expected);
    expect(second.understood.map((c) => c.label)).to.not.include(first!.understood[removed]!.label);
    expect(shadowAll(el, '[part="chip"]')).to.have.length(second.understood.length);
  });

  it('shows the SQL in a collapsible section and copies it, confirming with "Copied"', async () => {
    const { el, log } = await renderAsk();
    const answer = await el.ask('revenue by category');
    await answered(el, log, 1);
    const details = shadow<HTMLDetailsElement>(el, 'details[part="sql"]');
    expect(details.open).to.equal(false);
    shadow(el, '[part="sql-summary"]').click();
    expect(details.open).to.equal(true);
    expect(shadow(el, '[part="sql-code"]').textContent).to.equal(answer!.sql);
    expect(answer!.sql.toLowerCase()).to.contain('select');

    // What the browser copied: headless Chromium refuses the Clipboard API, so this is the selection fallback.
    let copied = '';
    el.addEventListener('copy', (e) => {
      const target = e.composedPath()[0];
      copied = target instanceof HTMLTextAreaElement ? target.value.slice(target.selectionStart, target.selectionEnd) : String(document.getSelection());
    });
    const copy = shadow<HTMLButtonElement>(el, '[part="copy-button"]');
    expect(text(copy)).to.equal('Copy SQL');
    copy.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => text(copy) !== 'Copy SQL', 'copy result');
    expect(text(copy)).to.equal('✓ Copied');
    expect(copy.classList.contains('copied')).to.equal(true);
    expect(copied).to.equal(answer!.sql);
    expect(el.shadowRoot!.activeElement).to.equal(copy);
    expect(text(shadow(el, '[role="status"]'))).to.equal('SQL copied to the clipboard.');
  });

  it('shows ERR_FORBIDDEN in an alert and fires insight-error when the token lacks ask', async () => {
    const { el, log } = await renderAsk({ token: await testToken({ permissions: 'view,drill' }) });
    await typeQuestion(el, 'revenue by region');
    await sendKeys({ press: 'Enter' });
    await until(() => log.errors.length > 0, 'insight-error');
    expect(log.errors).to.have.length(1);
    expect(log.errors[0]!.code).to.equal('ERR_FORBIDDEN');
    expect(log.asked).to.deep.equal([]);
    await el.updateComplete;
    const alert = shadow(el, '[role="alert"]');
    expect(alert.getAttribute('part')).to.equal('error');
    expect(text(alert)).to.contain('ERR_FORBIDDEN');
    expect(text(alert)).to.contain('Asking questions is not enabled for this view.');
    expect(el.answer).to.equal(null);
    expect(shadow(el, '[part="base"]').getAttribute('aria-busy')).to.equal('false');
  });

  describe('with the AI engine', () => {
    before(async function () {
      // The AI test server is built on its first request (it seeds its own warehouse).
      this.timeout(180_000);
      const res = await fetch(`${await testAiServer()}/healthz`);
      expect(res.ok).to.equal(true);
    });

    it('marks an answer of the AI engine with the "AI" badge', async () => {
      const { el, log } = await renderAsk({ server: await testAiServer() });
      const answer = await el.ask('which region sells most');
      await answered(el, log, 1);
      expect(answer!.engine).to.equal('llm');
      expect(log.asked[0]!.engine).to.equal('llm');
      const badge = shadow(el, '[part="engine-badge"]');
      expect(text(badge)).to.equal('AI');
      expect(badge.getAttribute('title')).to.equal('Answered by the AI engine');
      expect(el.shadowRoot!.querySelector('[part="fallback-reason"]')).to.equal(null);
      expect(shadow(el, '[part="sql-code"]').textContent).to.equal(answer!.sql);
      expect(answer!.rows.length).to.be.greaterThan(0);
    });

    it('says why the offline engine answered when the AI engine was unavailable', async () => {
      const { el, log } = await renderAsk({ server: await testAiServer() });
      const answer = await el.ask('revenue by region unreachable');
      await answered(el, log, 1);
      expect(answer!.engine).to.equal('offline');
      expect(answer!.fallbackReason).to.equal('model_error');
      expect(text(shadow(el, '[part="engine-badge"]'))).to.equal('offline');
      const reason = shadow(el, '[part="fallback-reason"]');
      expect(reason.dataset['reason']).to.equal('model_error');
      expect(text(reason)).to.equal('The AI engine is unavailable, so the offline engine answered.');
    });
  });

  it('is busy while asking and Cancel aborts the request, keeping the previous answer', async () => {
    const { client, sent } = await recordingClient();
    const { el, log } = await renderAsk({ client });
    await el.ask('revenue by region');
    const first = await answered(el, log, 1);

    const pending = el.ask('orders by month');
    await el.updateComplete;
    expect(el.busy).to.equal(true);
    expect(shadow(el, '[part="base"]').getAttribute('aria-busy')).to.equal('true');
    const cancel = shadow<HTMLButtonElement>(el, '[part="cancel-button"]');
    expect(text(cancel)).to.equal('Cancel');
    cancel.click();
    expect(await pending).to.equal(null);
    await el.updateComplete;

    expect(sent.signals[1]!.aborted).to.equal(true);
    expect(log.asked).to.have.length(1);
    expect(log.errors).to.deep.equal([]);
    expect(el.answer).to.equal(first);
    expect(shadow(el, '[part="base"]').getAttribute('aria-busy')).to.equal('false');
    expect(el.shadowRoot!.querySelector('[part="cancel-button"]')).to.equal(null);
    expect(text(shadow(el, '[role="status"]'))).to.equal('Question cancelled.');
  });

  it('gives every control an accessible name and passes axe, with and without an answer', async () => {
    const { el, log } = await renderAsk();
    const field = input(el);
    expect(field.labels?.[0]?.textContent).to.equal('Ask a question about your data');
    expect(field.getAttribute('role')).to.equal('combobox');
    expect(shadow(el, '[role="status"]').getAttribute('aria-live')).to.equal('polite');
    await expect(el).to.be.accessible();

    await el.ask('revenue by region last year');
    await answered(el, log, 1);
    await until(() => log.renders.length > 0, 'chart painted');
    for (const button of shadowAll<HTMLButtonElement>(el, 'button')) {
      const name = button.getAttribute('aria-label') ?? text(button);
      expect(name, button.outerHTML).to.not.equal('');
    }
    expect(shadow(el, '[part="chips"]').getAttribute('aria-label')).to.equal('Understood');
    shadow(el, '[part="sql-summary"]').click();
    await expect(el).to.be.accessible();
  });

  it('applies --insight-* properties set on a host ancestor', async () => {
    const { el } = await renderAsk({ style: 'width: 800px; --insight-color-accent: rgb(1, 2, 3); --insight-radius: 3px' });
    expect(getComputedStyle(shadow(el, '[part="submit-button"]')).backgroundColor).to.equal('rgb(1, 2, 3)');
    expect(getComputedStyle(shadow(el, '[part="base"]')).borderTopLeftRadius).to.equal('3px');
  });

  it('exposes parts for host styling', async () => {
    const style = document.createElement('style');
    style.textContent = 'insight-ask::part(input) { border-color: rgb(7, 8, 9); }';
    document.head.append(style);
    try {
      const { el } = await renderAsk();
      expect(getComputedStyle(input(el)).borderTopColor).to.equal('rgb(7, 8, 9)');
    } finally {
      style.remove();
    }
  });

  it('follows theme="light" and theme="dark"', async () => {
    const { el } = await renderAsk();
    const surface = () => getComputedStyle(shadow(el, '[part="base"]')).backgroundColor;
    el.theme = 'light';
    await el.updateComplete;
    expect(surface()).to.equal('rgb(255, 255, 255)');
    el.theme = 'dark';
    await el.updateComplete;
    expect(el.getAttribute('theme')).to.equal('dark');
    expect(surface()).to.equal('rgb(20, 23, 31)');
    await expect(el).to.be.accessible();
  });

  it('follows prefers-color-scheme on a page without a colour scheme, and inherits one set around it', async () => {
    await emulateMedia({ colorScheme: 'dark' });
    try {
      const { el } = await renderAsk();
      expect(getComputedStyle(shadow(el, '[part="base"]')).backgroundColor).to.equal('rgb(20, 23, 31)');
      const { el: inLight } = await renderAsk({ style: 'width: 800px; color-scheme: light' });
      expect(getComputedStyle(shadow(inLight, '[part="base"]')).backgroundColor).to.equal('rgb(255, 255, 255)');
    } finally {
      await emulateMedia({ colorScheme: 'light' });
    }
  });

  it('fits a 360 px wide screen with an answer shown', async () => {
    await setViewport({ width: 360, height: 740 });
    const { el, log } = await renderAsk({ style: 'width: 100%' });
    await el.ask('revenue by region last year');
    await answered(el, log, 1);
    await until(() => log.renders.length > 0, 'chart painted');
    shadow(el, '[part="sql-summary"]').click();
    await el.updateComplete;
    const base = shadow(el, '[part="base"]');
    expect(base.getBoundingClientRect().width).to.be.at.most(360);
    expect(base.scrollWidth).to.be.at.most(base.clientWidth);
    expect(document.documentElement.scrollWidth).to.be.at.most(360);
    const submit = shadow(el, '[part="submit-button"]').getBoundingClientRect();
    expect(submit.right).to.be.at.most(360);
  });
});

describe('matchQuestions', () => {
  it('keeps questions holding every typed word, recent ones first, each once', () => {
    const recent = ['Revenue by region', 'orders by month'];
    const suggested = ['revenue by region', 'revenue by category', 'top customers by revenue'];
    expect(matchQuestions('rev', recent, suggested)).to.deep.equal([
      { text: 'Revenue by region', source: 'recent' },
      { text: 'revenue by category', source: 'suggested' },
      { text: 'top customers by revenue', source: 'suggested' },
    ]);
    expect(matchQuestions('by REVENUE top', recent, suggested)).to.deep.equal([{ text: 'top customers by revenue', source: 'suggested' }]);
    expect(matchQuestions('', recent, suggested, 2)).to.have.length(2);
    expect(matchQuestions('orders by month', recent, suggested)).to.deep.equal([]);
  });
});

describe('questionFromChips', () => {
  it('joins the words of the chips that remain', () => {
    const chips = [{ text: 'revenue' }, { text: ' by region ' }, { text: 'last year' }];
    expect(questionFromChips(chips, 2)).to.equal('revenue by region');
    expect(questionFromChips(chips, 0)).to.equal('by region last year');
    expect(questionFromChips(chips, 5)).to.equal('revenue by region last year');
  });
});
