import { css } from 'lit';

/**
 * Design tokens shared by every component. Each private `--ie-*` token reads
 * the public `--insight-*` property first, so a host sets one variable on any
 * ancestor (custom properties inherit through shadow roots) and every
 * component below follows. The fallbacks use `light-dark()`, so they follow the
 * inherited `color-scheme`: `<insight-story>` sets it from
 * `prefers-color-scheme` or its `theme` attribute.
 */
export const themeTokens = css`
  :host {
    --ie-font: var(--insight-font-family, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif);
    --ie-text: var(--insight-color-text, light-dark(#0f172a, #e6e8ee));
    --ie-muted: var(--insight-color-text-muted, light-dark(#5b6474, #9aa3b2));
    --ie-bg: var(--insight-color-background, light-dark(#f6f7f9, #0b0d12));
    --ie-surface: var(--insight-color-surface, light-dark(#ffffff, #14171f));
    --ie-subtle: var(--insight-color-subtle, light-dark(#f1f3f6, #1b1f29));
    --ie-border: var(--insight-color-border, light-dark(#e4e7ec, #272c38));
    --ie-accent: var(--insight-color-accent, light-dark(#4f46e5, #8b93ff));
    --ie-accent-text: var(--insight-color-accent-text, light-dark(#ffffff, #0b0d12));
    --ie-danger: var(--insight-color-danger, light-dark(#b42318, #fda29b));
    --ie-radius: var(--insight-radius, 12px);
    --ie-space: var(--insight-spacing, 16px);
    --ie-palette-1: var(--insight-chart-palette-1, light-dark(#4f46e5, #8b93ff));
    --ie-palette-2: var(--insight-chart-palette-2, light-dark(#0ea5e9, #38bdf8));
    --ie-palette-3: var(--insight-chart-palette-3, light-dark(#10b981, #34d399));
    --ie-palette-4: var(--insight-chart-palette-4, light-dark(#f59e0b, #fbbf24));
    --ie-palette-5: var(--insight-chart-palette-5, light-dark(#ef4444, #f87171));
    --ie-palette-6: var(--insight-chart-palette-6, light-dark(#8b5cf6, #c4b5fd));
    --ie-focus-ring: 0 0 0 3px color-mix(in srgb, var(--ie-accent) 35%, transparent);
    font-family: var(--ie-font);
    color: var(--ie-text);
    -webkit-font-smoothing: antialiased;
  }

  :host([hidden]) {
    display: none !important;
  }

  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  .sr-only {
    position: absolute !important;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
  }

  .skeleton {
    display: block;
    border-radius: 6px;
    background: linear-gradient(90deg, var(--ie-subtle) 0%, color-mix(in srgb, var(--ie-subtle) 40%, var(--ie-surface)) 50%, var(--ie-subtle) 100%);
    background-size: 200% 100%;
    animation: ie-shimmer 1.4s ease-in-out infinite;
  }

  @keyframes ie-shimmer {
    from {
      background-position: 100% 0;
    }
    to {
      background-position: -100% 0;
    }
  }

  @media (prefers-reduced-motion: reduce) {
    .skeleton {
      animation: none;
    }
  }

  .error {
    display: grid;
    gap: 4px;
    padding: 12px 14px;
    border: 1px solid color-mix(in srgb, var(--ie-danger) 35%, transparent);
    border-radius: calc(var(--ie-radius) - 4px);
    background: color-mix(in srgb, var(--ie-danger) 8%, var(--ie-surface));
    color: var(--ie-text);
    font-size: 13px;
    line-height: 1.45;
  }

  .error strong {
    color: var(--ie-danger);
    font-weight: 600;
  }

  .error code {
    justify-self: start;
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    font-size: 11.5px;
    color: var(--ie-muted);
  }
`;
