/**
 * `embedStory`: an `<insight-story>` element in the host page, driven through
 * its public properties and getState/setState. The SDK never imports the
 * components: they are defined by the embed script (see load-components.ts).
 */
import { Emitter } from './emitter.ts';
import { sameState, type EmbedEventMap, type EmbedOptions, type MountedEmbed } from './embed-handle.ts';
import type { FilterValues, StoryState } from './protocol.ts';

/** The part of `<insight-story>` the SDK uses. */
export interface StoryElement extends HTMLElement {
  story: string;
  token: string;
  server: string;
  page: string;
  theme: 'light' | 'dark' | undefined;
  filters: FilterValues;
  getState(): StoryState;
  setState(state: Partial<StoryState>): void;
}

export interface MountStoryContext {
  server: string;
  token: string;
  /** The server refused the token as expired: the session fetches a new one. */
  onTokenExpired(): void;
}

function createStoryElement(options: EmbedOptions, context: MountStoryContext, token: string): StoryElement {
  const el = document.createElement('insight-story') as StoryElement;
  el.server = context.server;
  el.story = options.story;
  if (options.theme) el.theme = options.theme;
  el.setState({ page: options.page ?? '', filters: { ...(options.filters ?? {}) } });
  el.token = token;
  return el;
}

export function mountStory(container: HTMLElement, options: EmbedOptions, context: MountStoryContext): MountedEmbed {
  const events = new Emitter<EmbedEventMap>();
  let token = context.token;
  let destroyed = false;
  let lastState: StoryState = { page: options.page ?? '', filters: { ...(options.filters ?? {}) } };
  let el = createStoryElement(options, context, token);

  const onStateChange = (event: Event) => {
    const detail = (event as CustomEvent<{ state?: StoryState }>).detail;
    const state = detail?.state ?? el.getState();
    if (sameState(state, lastState)) return;
    lastState = state;
    events.emit('state', state);
  };
  const onReady = (event: Event) => {
    lastState = el.getState();
    events.emit('ready', { storyId: (event as CustomEvent<{ storyId: string }>).detail.storyId });
  };
  const onError = (event: Event) => {
    const detail = (event as CustomEvent<EmbedEventMap['error']>).detail;
    if (detail.code === 'ERR_TOKEN_EXPIRED') context.onTokenExpired();
    events.emit('error', detail);
  };
  const listeners: Array<[string, (event: Event) => void]> = [
    ['insight-state-change', onStateChange],
    ['insight-filter-change', onStateChange],
    ['insight-ready', onReady],
    ['insight-error', onError],
  ];
  let lastHeight = -1;
  const resizeObserver = new ResizeObserver(() => {
    const height = Math.ceil(el.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    events.emit('resize', { height });
  });

  const attach = () => {
    for (const [type, fn] of listeners) el.addEventListener(type, fn);
    resizeObserver.observe(el);
  };
  const detach = () => {
    for (const [type, fn] of listeners) el.removeEventListener(type, fn);
    resizeObserver.unobserve(el);
  };
  container.append(el);
  attach();

  return {
    get element() {
      return el;
    },
    get destroyed() {
      return destroyed;
    },
    setFilters(filters) {
      el.setState({ filters: { ...filters } });
      lastState = el.getState();
    },
    getState() {
      return el.getState();
    },
    setState(state) {
      el.setState(state);
      lastState = el.getState();
    },
    refresh() {
      if (destroyed) return;
      // A fresh element reloads everything; the state moves over.
      const state = el.getState();
      detach();
      const next = createStoryElement({ ...options, page: state.page, filters: state.filters }, context, token);
      next.setState(state);
      el.replaceWith(next);
      el = next;
      attach();
    },
    setToken(next) {
      token = next;
      if (!destroyed) el.token = next;
    },
    on(type, listener) {
      return events.on(type, listener);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      detach();
      resizeObserver.disconnect();
      events.clear();
      el.remove();
    },
  };
}
