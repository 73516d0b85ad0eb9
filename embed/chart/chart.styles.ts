import { css } from 'lit';
import { themeTokens } from '../shared/theme.styles.ts';

export const chartStyles = [
  themeTokens,
  css`
    :host {
      display: block;
      min-width: 0;
    }

    .chart {
      display: grid;
      gap: 8px;
      min-width: 0;
    }

    .canvas,
    .vega {
      position: relative;
      display: block;
      width: 100%;
      min-width: 0;
    }

    .canvas svg {
      display: block;
      max-width: 100%;
      overflow: visible;
    }

    .drillable .vega .role-mark path {
      cursor: pointer;
    }

    .canvas[hidden] {
      display: none;
    }

    .empty {
      margin: 0;
      padding: 24px 8px;
      text-align: center;
      color: var(--ie-muted);
      font-size: 13px;
    }

    .placeholder {
      height: var(--ie-chart-height, 240px);
    }

    .toolbar {
      display: flex;
      justify-content: flex-end;
    }

    .toggle {
      font: inherit;
      font-size: 12px;
      font-weight: 500;
      color: var(--ie-muted);
      background: none;
      border: 1px solid transparent;
      border-radius: 6px;
      padding: 2px 8px;
      cursor: pointer;
    }

    .toggle:hover {
      color: var(--ie-text);
      background: var(--ie-subtle);
    }

    .toggle:focus-visible {
      outline: none;
      border-color: var(--ie-accent);
      box-shadow: var(--ie-focus-ring);
    }

    .data {
      overflow-x: auto;
      font-size: 12.5px;
    }

    /* Read by screen readers while the table is not shown; not a scroll container then. */
    .data.sr-only {
      overflow: hidden;
    }

    .data table {
      width: 100%;
      border-collapse: collapse;
      font-variant-numeric: tabular-nums;
    }

    .data th,
    .data td {
      text-align: start;
      padding: 6px 8px;
      border-bottom: 1px solid var(--ie-border);
      white-space: nowrap;
    }

    .data th {
      font-weight: 500;
      color: var(--ie-muted);
    }

    .data .num {
      text-align: end;
    }

    .data tr.drillable {
      cursor: pointer;
    }

    .data tr.drillable:hover td {
      background: var(--ie-subtle);
    }

    .data tr.drillable:focus-visible {
      outline: 2px solid var(--ie-accent);
      outline-offset: -2px;
    }

    .probe {
      display: none;
    }

    /* Not shown; its colours follow the theme tokens so a transitionend tells the chart to redraw. */
    .watch {
      position: absolute;
      width: 0;
      height: 0;
      overflow: hidden;
      visibility: hidden;
      pointer-events: none;
      color: var(--ie-text);
      background-color: var(--ie-palette-1);
      border: 0 solid var(--ie-border);
      outline: 0 solid var(--ie-palette-2);
      transition: color 1ms, background-color 1ms, border-color 1ms, outline-color 1ms;
    }

    .chart {
      position: relative;
    }
  `,
];
