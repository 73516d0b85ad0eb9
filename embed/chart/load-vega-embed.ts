/**
 * vega-embed (with vega and vega-lite, several hundred kB) loads on the first
 * chart, in its own chunk, and once per page: the one piece of module state
 * the components share.
 */
import type embed from 'vega-embed';

export type VegaEmbed = typeof embed;

let loading: Promise<VegaEmbed> | undefined;

export function loadVegaEmbed(): Promise<VegaEmbed> {
  loading ??= import('vega-embed').then(
    (module) => module.default,
    (error: unknown) => {
      // A failed chunk load (offline, deploy in between) may work on the next chart.
      loading = undefined;
      throw error;
    },
  );
  return loading;
}
