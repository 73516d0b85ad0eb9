/**
 * `embedIframe`: the story in an iframe served by the InsightEngine server
 * (`/embed/story/{id}`), for hosts that want full isolation. The token goes
 * in the URL fragment, which the browser never sends to a server; the frame
 * and the host talk only through namespaced `insight:*` messages, checked by
 * origin and source on both sides.
 */
import { Emitter } from './emitter.ts';
import { type EmbedEventMap, type EmbedOptions, type MountedEmbed } from './embed-handle.ts';
import type { IframeMessage, StoryState } from './protocol.ts';

export interface MountIframeContext {
  server: string;
  token: string;
  onTokenExpired(): void;
}

/** The iframe page's URL: story in the path, everything else in the fragment. */
export function iframeUrl(server: string, options: EmbedOptions, token: string): string {
  const hash = new URLSearchParams({ token });
  if (options.page) hash.set('page', options.page);
  if (options.theme) hash.set('theme', options.theme);
  if (options.filters && Object.keys(options.filters).length > 0) hash.set('filters', JSON.stringify(options.filters));
  return `${server.replace(/\/+$/, '')}/embed/story/${encodeURIComponent(options.story)}#${hash.toString()}`;
}

/** Whether `data` is one of the messages an iframe embed sends. */
export function isIframeMessage(data: unknown): data is IframeMessage {
  return typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string' && (data as { type: string }).type.startsWith('insight:');
}

export function mountIframe(container: HTMLElement, options: EmbedOptions, context: MountIframeContext): MountedEmbed {
  const events = new Emitter<EmbedEventMap>();
  const origin = new URL(context.server).origin;
  let destroyed = false;
  // The frame listens once it has said anything (resize, error or ready).
  let listening = false;
  let state: StoryState = { page: options.page ?? '', filters: { ...(options.filters ?? {}) } };
  // Messages posted before the frame's page listens would be lost (or reach about:blank).
  let queue: IframeMessage[] = [];

  const frame = document.createElement('iframe');
  frame.title = `Analytics: ${options.story}`;
  frame.style.cssText = 'display:block;width:100%;border:0;height:150px';
  frame.src = iframeUrl(context.server, options, context.token);

  const post = (message: IframeMessage) => {
    if (destroyed) return;
    if (!listening || !frame.contentWindow) {
      queue.push(message);
      return;
    }
    frame.contentWindow.postMessage(message, origin);
  };

  const onMessage = (event: MessageEvent) => {
    if (event.origin !== origin || event.source !== frame.contentWindow || !isIframeMessage(event.data)) return;
    const message = event.data;
    if (!listening) {
      listening = true;
      const pending = queue;
      queue = [];
      for (const m of pending) post(m);
    }
    switch (message.type) {
      case 'insight:ready':
        events.emit('ready', { storyId: message.story });
        break;
      case 'insight:resize':
        if (typeof message.height === 'number' && Number.isFinite(message.height) && message.height >= 0) {
          frame.style.height = `${Math.ceil(message.height)}px`;
          events.emit('resize', { height: message.height });
        }
        break;
      case 'insight:state':
        state = message.state;
        events.emit('state', message.state);
        break;
      case 'insight:error':
        if (message.code === 'ERR_TOKEN_EXPIRED') context.onTokenExpired();
        events.emit('error', { code: message.code, message: message.detail ?? message.code });
        break;
      default:
        break;
    }
  };
  window.addEventListener('message', onMessage);
  container.append(frame);

  return {
    element: frame,
    get destroyed() {
      return destroyed;
    },
    setFilters(filters) {
      state = { ...state, filters: { ...filters } };
      post({ type: 'insight:set-filters', filters });
    },
    getState() {
      return state;
    },
    setState(next) {
      state = { ...state, ...next };
      post({ type: 'insight:set-state', state: next });
    },
    refresh() {
      post({ type: 'insight:refresh' });
    },
    setToken(token) {
      post({ type: 'insight:token', token });
    },
    on(type, listener) {
      return events.on(type, listener);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      queue = [];
      window.removeEventListener('message', onMessage);
      events.clear();
      frame.remove();
    },
  };
}
