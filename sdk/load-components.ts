/**
 * The SDK does not bundle the components: `embedStory` loads the embed script
 * from the InsightEngine server the first time it is needed (once per page),
 * unless the page already defined `<insight-story>`.
 */
let loading: Promise<void> | undefined;

/** Where the server serves the embed script. */
export const componentsUrl = (server: string): string => `${server.replace(/\/+$/, '')}/static/insight-embed.js`;

export type ComponentsSource = string | (() => Promise<unknown>);

export function loadComponents(source: ComponentsSource): Promise<void> {
  if (customElements.get('insight-story')) return Promise.resolve();
  loading ??= (typeof source === 'string' ? import(/* @vite-ignore */ source) : source()).then(
    () => customElements.whenDefined('insight-story').then(() => undefined),
    (error: unknown) => {
      // A failed load (offline, a deploy in between) may work on the next call.
      loading = undefined;
      throw error;
    },
  );
  return loading;
}
