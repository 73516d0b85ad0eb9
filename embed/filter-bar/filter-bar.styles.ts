import { css } from 'lit';
import { themeTokens } from '../shared/theme.styles.ts';

export const filterBarStyles = [
  themeTokens,
  css`
    :host {
      display: block;
      font-size: 13px;
    }

    .bar {
      display: flex;
      flex-wrap: wrap;
      align-items: flex-end;
      gap: 12px 16px;
    }

    .filter {
      display: grid;
      gap: 6px;
      min-width: 0;
      margin: 0;
      padding: 0;
      border: 0;
    }

    .label {
      font-size: 12px;
      font-weight: 500;
      color: var(--ie-muted);
      padding: 0;
    }

    .row {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px;
    }

    .inline-label {
      display: inline-flex;
      align-items: center;
      gap: 6px;
      font-size: 12px;
      color: var(--ie-muted);
    }

    select,
    input {
      font: inherit;
      font-size: 13px;
      color: var(--ie-text);
      background-color: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: 8px;
      height: 34px;
      padding: 0 10px;
      min-width: 0;
      transition: border-color 120ms, box-shadow 120ms;
    }

    select:not([multiple]) {
      appearance: none;
      padding-inline-end: 30px;
      background-image: linear-gradient(45deg, transparent 50%, currentColor 50%), linear-gradient(135deg, currentColor 50%, transparent 50%);
      background-position: calc(100% - 15px) 50%, calc(100% - 10px) 50%;
      background-size: 5px 5px, 5px 5px;
      background-repeat: no-repeat;
      min-width: 140px;
      cursor: pointer;
    }

    select[multiple] {
      height: auto;
      padding: 4px;
      min-width: 160px;
    }

    input[type='number'] {
      width: 110px;
    }

    input[type='search'] {
      width: 200px;
    }

    select:hover,
    input:hover {
      border-color: color-mix(in srgb, var(--ie-border) 60%, var(--ie-muted));
    }

    select:focus-visible,
    input:focus-visible {
      outline: none;
      border-color: var(--ie-accent);
      box-shadow: var(--ie-focus-ring);
    }

    .reset {
      font: inherit;
      font-size: 13px;
      font-weight: 500;
      height: 34px;
      padding: 0 12px;
      color: var(--ie-muted);
      background: transparent;
      border: 1px solid transparent;
      border-radius: 8px;
      cursor: pointer;
    }

    .reset:hover:not(:disabled) {
      color: var(--ie-text);
      background: var(--ie-subtle);
    }

    .reset:focus-visible {
      outline: none;
      border-color: var(--ie-accent);
      box-shadow: var(--ie-focus-ring);
    }

    .reset:disabled {
      cursor: default;
      opacity: 0.5;
    }
  `,
];
