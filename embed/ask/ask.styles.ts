import { css } from 'lit';
import { themeTokens } from '../shared/theme.styles.ts';

export const askStyles = [
  themeTokens,
  css`
    :host {
      display: block;
      min-width: 0;
    }

    .ask {
      display: grid;
      gap: 12px;
      min-width: 0;
      padding: calc(var(--ie-space) * 1.125) calc(var(--ie-space) * 1.25);
      color: var(--ie-text);
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: var(--ie-radius);
      box-shadow: 0 1px 2px rgb(16 24 40 / 0.04);
      font-size: 14px;
      line-height: 1.45;
    }

    /* On a page that sets no colour scheme the box follows the system; inside a story it inherits the story's. */
    .ask.system {
      color-scheme: light dark;
    }

    :host([theme='light']) .ask {
      color-scheme: light;
    }

    :host([theme='dark']) .ask {
      color-scheme: dark;
    }

    .form {
      display: grid;
      gap: 6px;
      margin: 0;
    }

    .label {
      font-size: 13px;
      font-weight: 600;
    }

    .row {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      min-width: 0;
    }

    .combo {
      position: relative;
      flex: 1 1 200px;
      min-width: 0;
    }

    input {
      width: 100%;
      min-width: 0;
      height: 38px;
      padding: 0 12px;
      font: inherit;
      font-size: 14px;
      color: var(--ie-text);
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: 8px;
      transition: border-color 120ms, box-shadow 120ms;
    }

    input::placeholder {
      color: var(--ie-muted);
    }

    input:hover {
      border-color: color-mix(in srgb, var(--ie-border) 60%, var(--ie-muted));
    }

    input:focus-visible,
    button:focus-visible,
    summary:focus-visible {
      outline: none;
      border-color: var(--ie-accent);
      box-shadow: var(--ie-focus-ring);
    }

    button {
      font: inherit;
      cursor: pointer;
    }

    .submit,
    .cancel {
      height: 38px;
      padding: 0 16px;
      font-size: 14px;
      font-weight: 600;
      border-radius: 8px;
      border: 1px solid transparent;
    }

    .submit {
      color: var(--ie-accent-text);
      background: var(--ie-accent);
    }

    .submit:disabled {
      cursor: default;
      opacity: 0.6;
    }

    .cancel {
      color: var(--ie-text);
      background: var(--ie-subtle);
      border-color: var(--ie-border);
    }

    .listbox {
      position: absolute;
      z-index: 10;
      inset-inline: 0;
      top: calc(100% + 4px);
      margin: 0;
      padding: 4px;
      list-style: none;
      max-height: 280px;
      overflow-y: auto;
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: 8px;
      box-shadow: 0 8px 24px rgb(16 24 40 / 0.14);
    }

    .listbox[hidden] {
      display: none;
    }

    .option {
      display: flex;
      align-items: baseline;
      justify-content: space-between;
      gap: 8px;
      padding: 7px 10px;
      border-radius: 6px;
      cursor: pointer;
      overflow-wrap: anywhere;
    }

    .option:hover {
      background: var(--ie-subtle);
    }

    .option[aria-selected='true'] {
      color: var(--ie-accent-text);
      background: var(--ie-accent);
    }

    .option-source {
      flex: none;
      font-size: 11.5px;
      opacity: 0.75;
    }

    .asking,
    .cancelled {
      margin: 0;
      font-size: 13px;
      color: var(--ie-muted);
    }

    .pending {
      display: grid;
      gap: 10px;
    }

    .skeleton.line {
      height: 14px;
      width: 60%;
    }

    .skeleton.block {
      height: 160px;
    }

    .answer {
      display: grid;
      gap: 10px;
      min-width: 0;
      transition: opacity 150ms ease;
    }

    .answer.stale {
      opacity: 0.55;
    }

    .meta {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 6px 10px;
    }

    .explanation {
      margin: 0;
      flex: 1 1 240px;
      min-width: 0;
    }

    .badge {
      flex: none;
      padding: 1px 8px;
      font-size: 11.5px;
      font-weight: 600;
      border-radius: 999px;
      border: 1px solid var(--ie-border);
      color: var(--ie-muted);
      background: var(--ie-subtle);
    }

    .badge.engine-llm {
      color: var(--ie-accent);
      border-color: color-mix(in srgb, var(--ie-accent) 40%, transparent);
      background: color-mix(in srgb, var(--ie-accent) 10%, var(--ie-surface));
    }

    .fallback {
      font-size: 12px;
      color: var(--ie-muted);
    }

    .chips {
      display: flex;
      flex-wrap: wrap;
      gap: 6px;
      margin: 0;
      padding: 0;
      list-style: none;
    }

    .chip {
      display: inline-flex;
      align-items: center;
      gap: 2px;
      max-width: 100%;
      padding: 2px 4px 2px 10px;
      font-size: 12.5px;
      border-radius: 999px;
      background: var(--ie-subtle);
      border: 1px solid var(--ie-border);
      overflow-wrap: anywhere;
    }

    .chip:not(:has(button)) {
      padding-inline-end: 10px;
    }

    .chip-remove {
      display: inline-grid;
      place-items: center;
      width: 24px;
      height: 24px;
      padding: 0;
      font-size: 15px;
      line-height: 1;
      color: var(--ie-muted);
      background: none;
      border: 1px solid transparent;
      border-radius: 999px;
    }

    .chip-remove:hover {
      color: var(--ie-text);
      background: color-mix(in srgb, var(--ie-muted) 18%, transparent);
    }

    .clarification {
      display: grid;
      gap: 8px;
      padding: 12px 14px;
      border-radius: calc(var(--ie-radius) - 4px);
      border: 1px solid color-mix(in srgb, var(--ie-accent) 30%, transparent);
      background: color-mix(in srgb, var(--ie-accent) 6%, var(--ie-surface));
    }

    .clarification p {
      margin: 0;
    }

    .clarify-message {
      font-weight: 500;
    }

    mark {
      padding: 0 3px;
      border-radius: 4px;
      color: inherit;
      background: color-mix(in srgb, var(--ie-danger) 16%, transparent);
    }

    .did-you-mean {
      display: grid;
      gap: 6px;
    }

    .did-you-mean-label {
      font-size: 12.5px;
      color: var(--ie-muted);
    }

    .suggestion-list {
      display: flex;
      flex-wrap: wrap;
      gap: 6px;
      margin: 0;
      padding: 0;
      list-style: none;
    }

    .suggestion {
      min-height: 32px;
      padding: 4px 12px;
      font-size: 13px;
      text-align: start;
      color: var(--ie-accent);
      background: var(--ie-surface);
      border: 1px solid color-mix(in srgb, var(--ie-accent) 40%, transparent);
      border-radius: 999px;
      overflow-wrap: anywhere;
    }

    .suggestion:hover {
      background: color-mix(in srgb, var(--ie-accent) 10%, var(--ie-surface));
    }

    .result {
      min-width: 0;
    }

    .empty,
    .row-count {
      margin: 0;
      font-size: 12.5px;
      color: var(--ie-muted);
    }

    .sql {
      min-width: 0;
      font-size: 13px;
    }

    .sql summary {
      width: max-content;
      padding: 2px 6px;
      margin-inline-start: -6px;
      font-weight: 500;
      color: var(--ie-muted);
      border: 1px solid transparent;
      border-radius: 6px;
      cursor: pointer;
    }

    .sql summary:hover {
      color: var(--ie-text);
    }

    .code {
      margin: 8px 0;
      padding: 10px 12px;
      overflow-x: auto;
      font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
      font-size: 12.5px;
      line-height: 1.5;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
      background: var(--ie-subtle);
      border-radius: 8px;
    }

    .copy {
      min-height: 30px;
      padding: 2px 12px;
      font-size: 12.5px;
      font-weight: 500;
      color: var(--ie-text);
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: 6px;
    }

    .copy.copied {
      color: var(--ie-accent);
      border-color: var(--ie-accent);
    }

    .copy.failed {
      color: var(--ie-danger);
    }

    @media (prefers-reduced-motion: reduce) {
      .answer,
      input {
        transition: none;
      }
    }
  `,
];
