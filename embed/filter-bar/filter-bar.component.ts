import { LitElement, html, nothing, type PropertyDeclarations, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import { Task } from '@lit/task';
import type { InsightClient } from '../../sdk/client.ts';
import { resolveDatePreset } from '../../sdk/date-presets.ts';
import { DATE_PRESETS, type DatePreset, type DateRangeValue, type FilterValue, type FilterValues, type NumberRangeValue, type StoryFilter } from '../../sdk/protocol.ts';
import { isAbortError } from '../shared/errors.ts';
import { emit } from '../shared/events.ts';
import { filterBarStyles } from './filter-bar.styles.ts';

export { DATE_PRESETS, type DatePreset };

/** The value of a `date_range` filter: a relative preset or fixed days (`YYYY-MM-DD`). */
export type DateRangeFilterValue = { preset: DatePreset } | DateRangeValue;

const PRESET_LABELS: Record<DatePreset, string> = {
  last_7_days: 'Last 7 days',
  last_30_days: 'Last 30 days',
  last_90_days: 'Last 90 days',
  last_365_days: 'Last 365 days',
  this_month: 'This month',
  last_month: 'Last month',
  this_quarter: 'This quarter',
  last_quarter: 'Last quarter',
  this_year: 'This year',
  last_year: 'Last year',
};

/** How long typing in a search filter waits before it applies. */
export const SEARCH_DEBOUNCE_MS = 300;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a value means "no filter" (so it is left out rather than sent). */
export function isEmptyFilterValue(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value)) return Object.values(value).every((v) => v === null || v === undefined || v === '');
  return false;
}

/**
 * @summary The controls for a story's filters (select, multi-select, date
 * range, number range, search) and a Reset button. Native form controls, each
 * with a visible label; a multi-select is a button opening a list of
 * checkboxes. Below 560 px wide the filters fold behind a "Filters" button.
 *
 * Values follow the embed API: `select` a value, `multi_select` a list,
 * `date_range` `{ preset }` or `{ from, to }`, `range` `{ min, max }`,
 * `search` a text. A filter the user clears is left out (its default applies)
 * or set to `null` when it has a default (to clear it on the server).
 *
 * @event insight-filter-change - The user changed a filter or pressed Reset. Detail: `{ filters }`, all values set.
 *
 * @csspart base - The row of filters.
 * @csspart filter - One filter (label and controls).
 * @csspart label - A filter's label.
 * @csspart control - Each select or input.
 * @csspart reset-button - The Reset button.
 * @csspart options - The list of a multi-select filter.
 * @csspart option - Each checkbox of that list.
 * @csspart fold-button - The "Filters" button that shows the filters on narrow screens.
 *
 * @cssproperty --insight-color-border - Control borders.
 * @cssproperty --insight-color-surface - Control background.
 * @cssproperty --insight-color-accent - Focus ring.
 */
export class InsightFilterBar extends LitElement {
  static override styles = filterBarStyles;

  static override properties: PropertyDeclarations = {
    filters: { attribute: false },
    values: { attribute: false },
    client: { attribute: false },
    _open: { state: true },
    _expanded: { state: true },
  };

  /** The story's filters (`StoryView.filters`). */
  declare filters: StoryFilter[];
  /** Current values by filter name; absent names show their default. */
  declare values: FilterValues;
  /** Used to fetch the options of select filters. */
  declare client: InsightClient | null;
  /** Id of the multi-select whose list is open, '' when none. */
  declare private _open: string;
  /** On narrow screens the filters fold behind a "Filters" button. */
  declare private _expanded: boolean;

  readonly #searchTimers = new Map<string, ReturnType<typeof setTimeout>>();

  /** Options of select and multi-select filters, by filter id. */
  readonly #options = new Task(this, {
    args: () => [this.client, this.filters] as const,
    task: async ([client, filters], { signal }) => {
      const options = new Map<string, Array<string | number>>();
      if (!client) return options;
      await Promise.all(
        filters
          .filter((f) => f.type === 'select' || f.type === 'multi_select')
          .map(async (filter) => {
            try {
              options.set(filter.id, (await client.filterValues(filter.id, '', signal)).values);
            } catch (error) {
              // A filter whose values cannot be read still offers "All"; the cards report the cause.
              if (isAbortError(error)) throw error;
            }
          }),
      );
      return options;
    },
  });

  constructor() {
    super();
    this.filters = [];
    this.values = {};
    this.client = null;
    this._open = '';
    this._expanded = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const timer of this.#searchTimers.values()) clearTimeout(timer);
    this.#searchTimers.clear();
  }

  /** Resolves once the options of select filters are loaded. */
  get optionsComplete(): Promise<unknown> {
    return this.#options.taskComplete.catch(() => undefined);
  }

  #current(filter: StoryFilter): FilterValue {
    return Object.hasOwn(this.values, filter.name) ? (this.values[filter.name] ?? null) : filter.defaultValue;
  }

  #commit(filter: StoryFilter, value: FilterValue): void {
    // Null prototype: `next[name] =` must add a member even for a filter named __proto__.
    const next: FilterValues = Object.assign(Object.create(null), this.values);
    if (isEmptyFilterValue(value)) {
      if (filter.defaultValue === null || filter.defaultValue === undefined) delete next[filter.name];
      else next[filter.name] = null;
    } else {
      next[filter.name] = value;
    }
    this.values = next;
    emit(this, 'insight-filter-change', { filters: { ...next } });
  }

  #reset(): void {
    for (const timer of this.#searchTimers.values()) clearTimeout(timer);
    this.#searchTimers.clear();
    this.values = {};
    emit(this, 'insight-filter-change', { filters: {} });
  }

  #selectOptions(filter: StoryFilter, current: Array<string | number>): Array<string | number> {
    const fetched = this.#options.value?.get(filter.id) ?? [];
    // A value set in code that the list does not have (yet) still shows as selected.
    const missing = current.filter((v) => !fetched.some((o) => String(o) === String(v)));
    return [...missing, ...fetched];
  }

  #renderSelect(filter: StoryFilter, id: string): TemplateResult {
    const current = this.#current(filter);
    const selected = current === null || current === undefined || isRecord(current) || Array.isArray(current) ? '' : String(current);
    const options = this.#selectOptions(filter, selected === '' ? [] : [current as string | number]);
    const onChange = (event: Event) => {
      const index = (event.target as HTMLSelectElement).selectedIndex;
      this.#commit(filter, index <= 0 ? null : (options[index - 1] ?? null));
    };
    return html`<div class="filter" part="filter">
      <label class="label" part="label" for=${id}>${filter.label}</label>
      <select id=${id} part="control" @change=${onChange}>
        <option value="" .selected=${live(selected === '')}>All</option>
        ${options.map((o) => html`<option value=${String(o)} .selected=${live(String(o) === selected)}>${String(o)}</option>`)}
      </select>
    </div>`;
  }

  #renderMultiSelect(filter: StoryFilter, id: string): TemplateResult {
    const current = this.#current(filter);
    const selected = Array.isArray(current) ? current.map(String) : [];
    const options = this.#selectOptions(filter, Array.isArray(current) ? current : []);
    const open = this._open === filter.id;
    const summary = selected.length === 0 ? 'All' : selected.length <= 2 ? selected.join(', ') : `${selected.length} selected`;
    const toggle = (value: string | number, checked: boolean) => {
      const chosen = options.filter((o) => (String(o) === String(value) ? checked : selected.includes(String(o))));
      this.#commit(filter, chosen);
    };
    const onKeydown = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && open) {
        event.preventDefault();
        this._open = '';
        this.renderRoot.querySelector<HTMLElement>(`#${id}`)?.focus();
      }
    };
    const onFocusOut = (event: FocusEvent) => {
      const next = event.relatedTarget as Node | null;
      if (open && !(event.currentTarget as HTMLElement).contains(next)) this._open = '';
    };
    return html`<div class="filter multi" part="filter" @keydown=${onKeydown} @focusout=${onFocusOut}>
      <span class="label" part="label" id=${`${id}-label`}>${filter.label}</span>
      <button
        type="button"
        id=${id}
        part="control"
        class="multi-button"
        aria-labelledby=${`${id}-label ${id}`}
        aria-expanded=${open ? 'true' : 'false'}
        aria-controls=${`${id}-list`}
        @click=${() => (this._open = open ? '' : filter.id)}
      >
        <span class="summary">${summary}</span>
      </button>
      <div id=${`${id}-list`} class="options" part="options" role="group" aria-labelledby=${`${id}-label`} ?hidden=${!open}>
        ${options.length === 0 ? html`<p class="no-options">No values</p>` : nothing}
        ${options.map(
          (o) =>
            html`<label class="option" part="option"
              ><input type="checkbox" value=${String(o)} .checked=${live(selected.includes(String(o)))} @change=${(e: Event) => toggle(o, (e.target as HTMLInputElement).checked)} />
              <span>${String(o)}</span></label
            >`,
        )}
      </div>
    </div>`;
  }

  #renderDateRange(filter: StoryFilter, id: string): TemplateResult {
    const current = this.#current(filter);
    const preset = isRecord(current) && DATE_PRESETS.includes(current['preset'] as DatePreset) ? (current['preset'] as DatePreset) : '';
    // A preset shows the days it stands for today, resolved as the server resolves it (in UTC);
    // editing one of them turns the preset into a custom range from those days.
    const days = preset ? resolveDatePreset(preset) : { from: isRecord(current) ? current['from'] : '', to: isRecord(current) ? current['to'] : '' };
    const from = typeof days.from === 'string' ? days.from : '';
    const to = typeof days.to === 'string' ? days.to : '';
    const custom = !preset && (from !== '' || to !== '');
    const onPreset = (event: Event) => {
      const value = (event.target as HTMLSelectElement).value;
      if (value === 'custom') return; // the date inputs set a custom range
      this.#commit(filter, value ? { preset: value as DatePreset } : null);
    };
    const onDate = () => {
      const inputs = this.renderRoot.querySelectorAll<HTMLInputElement>(`[data-range="${filter.id}"]`);
      const [fromValue = '', toValue = ''] = [...inputs].map((i) => i.value);
      const range: DateRangeValue = {};
      if (fromValue) range.from = fromValue;
      if (toValue) range.to = toValue;
      this.#commit(filter, range);
    };
    return html`<div class="filter" part="filter" role="group" aria-labelledby=${`${id}-label`}>
      <label class="label" part="label" id=${`${id}-label`} for=${id}>${filter.label}</label>
      <div class="row">
        <select id=${id} part="control" @change=${onPreset}>
          <option value="" .selected=${live(!preset && !custom)}>Any time</option>
          ${DATE_PRESETS.map((p) => html`<option value=${p} .selected=${live(p === preset)}>${PRESET_LABELS[p]}</option>`)}
          <option value="custom" .selected=${live(custom)}>Custom range</option>
        </select>
        <span class="row">
          <label class="inline-label">From
            <input type="date" part="control" data-range=${filter.id} max=${to || nothing} .value=${live(from)} @change=${onDate} />
          </label>
          <label class="inline-label">To
            <input type="date" part="control" data-range=${filter.id} min=${from || nothing} .value=${live(to)} @change=${onDate} />
          </label>
        </span>
      </div>
    </div>`;
  }

  #renderRange(filter: StoryFilter, id: string): TemplateResult {
    const current = this.#current(filter);
    const range = (isRecord(current) ? current : {}) as NumberRangeValue;
    const text = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
    const onChange = () => {
      const [min, max] = [...this.renderRoot.querySelectorAll<HTMLInputElement>(`[data-range="${filter.id}"]`)].map((i) =>
        i.value === '' || !Number.isFinite(i.valueAsNumber) ? undefined : i.valueAsNumber,
      );
      const next: NumberRangeValue = {};
      if (min !== undefined) next.min = min;
      if (max !== undefined) next.max = max;
      this.#commit(filter, next);
    };
    return html`<div class="filter" part="filter" role="group" aria-labelledby=${`${id}-label`}>
      <span class="label" part="label" id=${`${id}-label`}>${filter.label}</span>
      <div class="row">
        <label class="inline-label">Min
          <input id=${id} type="number" inputmode="decimal" part="control" data-range=${filter.id} .value=${live(text(range.min))} @change=${onChange} />
        </label>
        <label class="inline-label">Max
          <input type="number" inputmode="decimal" part="control" data-range=${filter.id} .value=${live(text(range.max))} @change=${onChange} />
        </label>
      </div>
    </div>`;
  }

  #renderSearch(filter: StoryFilter, id: string): TemplateResult {
    const current = this.#current(filter);
    const apply = (value: string) => {
      clearTimeout(this.#searchTimers.get(filter.id));
      this.#searchTimers.delete(filter.id);
      const trimmed = value.trim();
      const now = this.#current(filter);
      const before = typeof now === 'string' ? now : '';
      if (trimmed !== before) this.#commit(filter, trimmed);
    };
    const onInput = (event: Event) => {
      const value = (event.target as HTMLInputElement).value;
      clearTimeout(this.#searchTimers.get(filter.id));
      this.#searchTimers.set(
        filter.id,
        setTimeout(() => apply(value), SEARCH_DEBOUNCE_MS),
      );
    };
    return html`<div class="filter" part="filter">
      <label class="label" part="label" for=${id}>${filter.label}</label>
      <input
        id=${id}
        type="search"
        part="control"
        autocomplete="off"
        placeholder="Search…"
        .value=${live(typeof current === 'string' ? current : '')}
        @input=${onInput}
        @change=${(event: Event) => apply((event.target as HTMLInputElement).value)}
      />
    </div>`;
  }

  override render() {
    if (this.filters.length === 0) return nothing;
    const hasValues = Object.keys(this.values).length > 0;
    const active = Object.values(this.values).filter((v) => !isEmptyFilterValue(v)).length;
    return html`<button
        type="button"
        class="fold"
        part="fold-button"
        aria-expanded=${this._expanded ? 'true' : 'false'}
        aria-controls="bar"
        @click=${() => (this._expanded = !this._expanded)}
      >
        <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
          <path d="M2.5 4h11M4.5 8h7M6.5 12h3" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" />
        </svg>
        Filters${active > 0 ? html` <span class="count">${active}</span>` : nothing}
      </button>
      <div class=${this._expanded ? 'bar' : 'bar folded'} id="bar" part="base">
      ${this.filters.map((filter) => {
        const id = `filter-${filter.id}`;
        switch (filter.type) {
          case 'select':
            return this.#renderSelect(filter, id);
          case 'multi_select':
            return this.#renderMultiSelect(filter, id);
          case 'date_range':
            return this.#renderDateRange(filter, id);
          case 'range':
            return this.#renderRange(filter, id);
          case 'search':
            return this.#renderSearch(filter, id);
          default:
            return nothing;
        }
      })}
      <button type="button" class="reset" part="reset-button" ?disabled=${!hasValues} @click=${() => this.#reset()}>Reset</button>
    </div>`;
  }
}
