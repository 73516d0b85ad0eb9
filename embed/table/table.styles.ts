import { css } from 'lit';
import { scrollCueStyles } from '../shared/scroll-cue.ts';
import { themeTokens } from '../shared/theme.styles.ts';

export const tableStyles = [
  themeTokens,
  scrollCueStyles,
  css`
    :host {
      display: block;
      font-size: 13px;
      container-type: inline-size;
    }


    .scroll {
      overflow-x: auto;
      border-radius: 4px;
    }

    .scroll:focus-visible {
      outline: 2px solid var(--ie-accent);
      outline-offset: 2px;
    }

    table {
      width: 100%;
      border-collapse: collapse;
      font-variant-numeric: tabular-nums;
    }

    caption {
      text-align: start;
      font-weight: 600;
      font-size: 14px;
      padding-bottom: 8px;
    }

    th,
    td {
      padding: 8px 12px;
      text-align: start;
      border-bottom: 1px solid var(--ie-border);
      white-space: nowrap;
    }

    th:first-child,
    td:first-child {
      padding-inline-start: 0;
    }

    th:last-child,
    td:last-child {
      padding-inline-end: 0;
    }

    tbody tr:last-child td {
      border-bottom: none;
    }

    tbody tr:hover td {
      background: var(--ie-subtle);
    }

    th {
      font-weight: 500;
      font-size: 12px;
      color: var(--ie-muted);
      padding-top: 4px;
      padding-bottom: 8px;
    }

    .num {
      text-align: end;
    }

    th button {
      all: unset;
      display: inline-flex;
      align-items: center;
      gap: 4px;
      cursor: pointer;
      border-radius: 4px;
      color: inherit;
    }

    th.num button {
      flex-direction: row-reverse;
    }

    th button:hover,
    th[aria-sort] button {
      color: var(--ie-text);
    }

    th button:focus-visible {
      outline: 2px solid var(--ie-accent);
      outline-offset: 2px;
    }

    .sort-icon {
      display: inline-block;
      width: 10px;
      font-size: 9px;
      opacity: 0;
      transition: opacity 120ms;
    }

    th button:hover .sort-icon,
    th button:focus-visible .sort-icon,
    th[aria-sort] .sort-icon {
      opacity: 1;
    }

    tr.drillable {
      cursor: pointer;
    }

    tr.drillable:focus-visible {
      outline: 2px solid var(--ie-accent);
      outline-offset: -2px;
    }

    .pager {
      display: flex;
      align-items: center;
      justify-content: flex-end;
      gap: 8px;
      padding-top: 10px;
      font-size: 12.5px;
      color: var(--ie-muted);
    }

    .pager .range {
      font-variant-numeric: tabular-nums;
      margin-inline: 4px;
      white-space: nowrap;
    }

    .pager button {
      font: inherit;
      color: var(--ie-text);
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: 6px;
      padding: 4px 10px;
      white-space: nowrap;
      cursor: pointer;
    }

    .pager button:hover:not(:disabled) {
      background: var(--ie-subtle);
    }

    .pager button:disabled {
      cursor: default;
      opacity: 0.45;
    }

    .pager button:focus-visible {
      outline: none;
      border-color: var(--ie-accent);
      box-shadow: var(--ie-focus-ring);
    }

    .empty {
      color: var(--ie-muted);
      padding: 16px 0;
      margin: 0;
    }

    /* Narrow cards (phones): text wraps so every column fits; numbers stay on one line. */
    @container (max-width: 480px) {
      th,
      td {
        white-space: normal;
        padding-inline: 4px;
        font-size: 12px;
      }

      td.num,
      th.num {
        white-space: nowrap;
      }
    }
  `,
];
