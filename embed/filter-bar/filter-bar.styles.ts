import { css } from 'lit';
import { themeTokens } from '../shared/theme.styles.ts';

export const filterBarStyles = [
  themeTokens,
  css`
    :host {
      display: block;
      font-size: 13px;
      container-type: inline-size;
    }

    .fold {
      display: none;
      align-items: center;
      gap: 8px;
      font: inherit;
      font-size: 13px;
      font-weight: 500;
      height: 34px;
      padding: 0 12px;
      color: var(--ie-text);
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: 8px;
      cursor: pointer;
    }

    .fold .count {
      display: inline-grid;
      place-items: center;
      min-width: 18px;
      height: 18px;
      padding: 0 5px;
      font-size: 11px;
      border-radius: 9px;
      color: var(--ie-accent-text);
      background: var(--ie-accent);
    }

    .fold:focus-visible,
    .multi-button:focus-visible,
    .option input:focus-visible {
      outline: none;
      border-color: var(--ie-accent);
      box-shadow: var(--ie-focus-ring);
    }

    @container (max-width: 560px) {
      .fold {
        display: inline-flex;
      }

      .bar {
        margin-top: 12px;
      }

      .bar.folded {
        display: none;
      }

      .filter,
      .filter select,
      .filter input[type='search'],
      .multi-button {
        width: 100%;
      }
    }

    .multi {
      position: relative;
    }

    .multi-button {
      font: inherit;
      font-size: 13px;
      text-align: start;
      color: var(--ie-text);
      background-color: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: 8px;
      height: 34px;
      min-width: 160px;
      max-width: 260px;
      padding: 0 30px 0 10px;
      cursor: pointer;
      background-image: linear-gradient(45deg, transparent 50%, currentColor 50%), linear-gradient(135deg, currentColor 50%, transparent 50%);
      background-position: calc(100% - 15px) 50%, calc(100% - 10px) 50%;
      background-size: 5px 5px, 5px 5px;
      background-repeat: no-repeat;
    }

    .multi-button .summary {
      display: block;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }

    .options {
      position: absolute;
      top: calc(100% + 4px);
      inset-inline-start: 0;
      z-index: 20;
      display: grid;
      gap: 2px;
      min-width: 100%;
      max-height: 260px;
      overflow-y: auto;
      padding: 6px;
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: 8px;
      box-shadow: 0 8px 24px rgb(16 24 40 / 0.14);
    }

    .options[hidden] {
      display: none;
    }

    .option {
      display: flex;
      align-items: center;
      gap: 8px;
      padding: 5px 8px;
      border-radius: 6px;
      white-space: nowrap;
      cursor: pointer;
    }

    .option:hover {
      background: var(--ie-subtle);
    }

    .option input {
      width: 15px;
      height: 15px;
      margin: 0;
      padding: 0;
      accent-color: var(--ie-accent);
    }

    .no-options {
      margin: 4px 8px;
      color: var(--ie-muted);
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
