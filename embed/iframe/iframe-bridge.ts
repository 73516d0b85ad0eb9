/**
 * Runs inside the iframe page (`/embed/story/{id}#token=…`): renders
 * `<insight-story>` with the token from the fragment and speaks the
 * `insight:*` protocol with the host page. Messages go only to the parent's
 * origin when it is known, and only messages from the parent window (and
 * its origin) are obeyed.
 */
import type { StoryElement } from '../../sdk/embed-story.ts';
import type { FilterValues, IframeMessage, StoryState } from '../../sdk/protocol.ts';

export interface FragmentSettings {
  token: string | null;
  page: string | null;
  theme: 'light' | 'dark' | null;
  filters: FilterValues;
}

/** Reads `#token=…&page=…&theme=…&filters=<json>`; a malformed part is left out. */
export function readFragment(hash: string): FragmentSettings {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const theme = params.get('theme');
  let filters: FilterValues = {};
  try {
    const parsed: unknown = JSON.parse(params.get('filters') ?? '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) filters = parsed as FilterValues;
  } catch {
    filters = {};
  }
  return { token: params.get('token'), page: params.get('page'), theme: theme === 'dark' || theme === 'light' ? theme : null, filters };
}

/**
 * The host page's origin: Chromium and Safari tell it in `ancestorOrigins`;
 * elsewhere the referrer (an origin under the default referrer policy).
 */
export function parentOrigin(location: Location, referrer: string): string | undefined {
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  const first = ancestors && ancestors.length > 0 ? ancestors.item(0) : null;
  if (first && first !== 'null') return first;
  try {
    return referrer ? new URL(referrer).origin : undefined;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The host messages the frame obeys, validated; anything else is undefined. */
export function hostMessage(data: unknown): Extract<IframeMessage, { type: 'insight:set-filters' | 'insight:set-state' | 'insight:token' | 'insight:refresh' }> | undefined {
  if (!isRecord(data)) return undefined;
  switch (data['type']) {
    case 'insight:set-filters':
      return isRecord(data['filters']) ? { type: 'insight:set-filters', filters: data['filters'] as FilterValues } : undefined;
    case 'insight:set-state': {
      const state = data['state'];
      if (!isRecord(state)) return undefined;
      const next: Partial<StoryState> = {};
      if (typeof state['page'] === 'string') next.page = state['page'];
      if (isRecord(state['filters'])) next.filters = state['filters'] as FilterValues;
      return { type: 'insight:set-state', state: next };
    }
    case 'insight:token':
      return typeof data['token'] === 'string' && data['token'].length > 0 ? { type: 'insight:token', token: data['token'] } : undefined;
    case 'insight:refresh':
      return { type: 'insight:refresh' };
    default:
      return undefined;
  }
}

export interface IframeBridge {
  readonly story: StoryElement;
  stop(): void;
}

export async function startIframeBridge(win: Window = window): Promise<IframeBridge> {
  const doc = win.document;
  const storyId = decodeURIComponent(win.location.pathname.split('/').pop() ?? '');
  const settings = readFragment(win.location.hash);
  const origin = parentOrigin(win.location, doc.referrer);
  const parent = win.parent !== win ? win.parent : undefined;

  const post = (message: IframeMessage) => {
    if (!parent) return;
    // State names the viewer's filters: it goes only to a known host origin.
    if (!origin && message.type === 'insight:state') return;
    parent.postMessage(message, origin ?? '*');
  };

  doc.documentElement.style.background = 'transparent';
  doc.body.style.margin = '0';
  await win.customElements.whenDefined('insight-story');
  const story = doc.createElement('insight-story') as StoryElement;
  story.story = storyId;
  story.server = win.location.origin;
  if (settings.theme) story.theme = settings.theme;
  story.setState({ page: settings.page ?? '', filters: settings.filters });

  let lastState = '';
  const postState = () => {
    const state = story.getState();
    const json = JSON.stringify(state);
    if (json === lastState) return;
    lastState = json;
    post({ type: 'insight:state', state });
  };
  const syncState = () => {
    lastState = JSON.stringify(story.getState());
  };

  const listeners: Array<[string, (event: Event) => void]> = [
    ['insight-ready', (event) => {
      syncState();
      post({ type: 'insight:ready', story: (event as CustomEvent<{ storyId: string }>).detail.storyId });
    }],
    ['insight-error', (event) => {
      const detail = (event as CustomEvent<{ code: string; message: string }>).detail;
      post({ type: 'insight:error', code: detail.code, detail: detail.message });
    }],
    ['insight-state-change', postState],
    ['insight-filter-change', postState],
  ];
  for (const [type, fn] of listeners) story.addEventListener(type, fn);

  let lastHeight = -1;
  const resize = new ResizeObserver(() => {
    const height = Math.ceil(story.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    post({ type: 'insight:resize', height });
  });
  resize.observe(story);

  const onMessage = (event: MessageEvent) => {
    if (!parent || event.source !== parent) return;
    if (origin && event.origin !== origin) return;
    const message = hostMessage(event.data);
    if (!message) return;
    if (message.type === 'insight:set-filters') story.setState({ filters: message.filters });
    else if (message.type === 'insight:set-state') story.setState(message.state);
    else if (message.type === 'insight:token') story.token = message.token;
    else if (message.type === 'insight:refresh') {
      // Same token, new client: the story and every card load again.
      const token = story.token;
      story.token = '';
      story.token = token;
    }
    syncState();
  };
  win.addEventListener('message', onMessage);

  if (settings.token) {
    story.token = settings.token;
  } else {
    post({ type: 'insight:error', code: 'ERR_UNAUTHENTICATED', detail: 'The iframe URL has no #token=…' });
  }
  doc.body.append(story);

  return {
    story,
    stop() {
      win.removeEventListener('message', onMessage);
      resize.disconnect();
      for (const [type, fn] of listeners) story.removeEventListener(type, fn);
    },
  };
}
