/**
 * What `embedStory` and `embedIframe` return: the same handle whether the
 * story renders in the host page or in an iframe.
 */
import type { FilterValues, StoryState } from './protocol.ts';

export interface EmbedOptions {
  /** Story id or slug (the token must be for this story). */
  story: string;
  /** Initial filter values by filter name. */
  filters?: FilterValues;
  /** `light` or `dark`; without it the story follows the host's `prefers-color-scheme`. */
  theme?: 'light' | 'dark';
  /** Key of the page to open (default: the first). */
  page?: string;
}

/** Typed events of an embed handle (`handle.on(type, listener)`). */
export interface EmbedEventMap {
  /** The story loaded. */
  ready: { storyId: string };
  /** The viewer changed page, filters or drill trail (not fired for `setFilters`/`setState`). */
  state: StoryState;
  /** The story or a card failed; `code` is the server's stable code. */
  error: { code: string; message: string; cardId?: string };
  /** The embed's content height changed (CSS pixels). */
  resize: { height: number };
}

export interface EmbedHandle {
  /** The `<insight-story>` or `<iframe>` element the SDK created. */
  readonly element: HTMLElement;
  /** Replaces the filter values (the ones left out go back to their defaults). */
  setFilters(filters: FilterValues): void;
  /** The page shown and the filter values set. */
  getState(): StoryState;
  /** Shows a page and/or sets filters, e.g. restored from the host's URL. */
  setState(state: Partial<StoryState>): void;
  /** Reloads the story and its data, keeping page and filters. */
  refresh(): void;
  /** Listens to an event; returns the function that stops listening. */
  on<K extends keyof EmbedEventMap>(type: K, listener: (detail: EmbedEventMap[K]) => void): () => void;
  /** Removes the embed and clears every listener and timer it set. */
  destroy(): void;
}

/** The SDK's side of a handle: how a refreshed token reaches the embed. */
export interface MountedEmbed extends EmbedHandle {
  setToken(token: string): void;
  readonly destroyed: boolean;
}

export const sameState = (a: StoryState, b: StoryState): boolean => JSON.stringify(a) === JSON.stringify(b);
