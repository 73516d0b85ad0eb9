import { css } from 'lit';
import { themeTokens } from '../shared/theme.styles.ts';

export const tableStyles = [
  themeTokens,
  css`
    :host {
      display: block;
      font-size: 13px;
    }

    .scroll {
      overflow-x: auto;
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

    .empty {
      color: var(--ie-muted);
      padding: 16px 0;
      margin: 0;
    }
  `,
];
