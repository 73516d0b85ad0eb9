/**
 * vega-embed (with vega and vega-lite, several hundred kB) loads on the first
 * chart, in its own chunk, and once per page: the one piece of module state
 * the components share.
 *
 * Charts run with Vega's expression interpreter (`ast: true`) instead of
 * compiling expressions with `Function`, so they paint on host pages whose
 * Content-Security-Policy has no 'unsafe-eval' (and on the iframe page,
 * which has none).
 */
import type embed from 'vega-embed';

export type VegaEmbed = typeof embed;

let loading: Promise<VegaEmbed> | undefined;

export function loadVegaEmbed(): Promise<VegaEmbed> {
  loading ??= import('vega-embed').then(
    (module) => {
      const vegaEmbed = module.default;
      const withInterpreter: VegaEmbed = (element, spec, options = {}) => vegaEmbed(element, spec, { ast: true, ...options });
      return Object.assign(withInterpreter, vegaEmbed);
    },
    (error: unknown) => {
      // A failed chunk load (offline, deploy in between) may work on the next chart.
      loading = undefined;
      throw error;
    },
  );
  return loading;
}
