import { css } from 'lit';
import { themeTokens } from '../shared/theme.styles.ts';

export const cardStyles = [
  themeTokens,
  css`
    :host {
      display: block;
      min-width: 0;
    }

    .card {
      display: flex;
      flex-direction: column;
      gap: 12px;
      height: 100%;
      min-width: 0;
      margin: 0;
      padding: calc(var(--ie-space) * 1.125) calc(var(--ie-space) * 1.25);
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: var(--ie-radius);
      box-shadow: 0 1px 2px rgb(16 24 40 / 0.04);
    }

    header {
      display: grid;
      gap: 2px;
    }

    @media (max-width: 480px) {
      .card {
        padding: calc(var(--ie-space) * 0.875);
      }
    }

    .heading-row {
      display: flex;
      align-items: flex-start;
      justify-content: space-between;
      gap: 8px;
      min-width: 0;
    }

    .heading-row .title {
      min-width: 0;
      overflow-wrap: anywhere;
    }

    .drill-hint {
      margin: 2px 0 0;
      font-size: 12px;
      line-height: 1.4;
      color: var(--ie-accent);
    }

    .menu-wrap {
      position: relative;
      flex: none;
      margin: -4px -6px 0 0;
    }

    .menu-button {
      display: grid;
      place-items: center;
      width: 28px;
      height: 28px;
      padding: 0;
      color: var(--ie-muted);
      background: none;
      border: 1px solid transparent;
      border-radius: 6px;
      cursor: pointer;
    }

    .menu-button:hover,
    .menu-button[aria-expanded='true'] {
      color: var(--ie-text);
      background: var(--ie-subtle);
    }

    .menu-button:focus-visible,
    .menu [role='menuitem']:focus-visible {
      outline: none;
      border-color: var(--ie-accent);
      box-shadow: var(--ie-focus-ring);
    }

    .menu-button:disabled {
      cursor: not-allowed;
      opacity: 0.5;
    }

    .retry,
    .empty .reset {
      justify-self: start;
      font: inherit;
      font-size: 13px;
      font-weight: 500;
      color: var(--ie-text);
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: 6px;
      padding: 4px 12px;
      cursor: pointer;
    }

    .retry:hover,
    .empty .reset:hover {
      background: var(--ie-subtle);
    }

    .retry:focus-visible,
    .empty .reset:focus-visible {
      outline: none;
      border-color: var(--ie-accent);
      box-shadow: var(--ie-focus-ring);
    }

    .empty {
      display: grid;
      gap: 8px;
      justify-items: start;
      padding: 16px 0;
      color: var(--ie-muted);
      font-size: 13px;
    }

    .empty strong {
      color: var(--ie-text);
      font-weight: 600;
    }

    .active-filters {
      display: flex;
      flex-wrap: wrap;
      gap: 4px 12px;
      margin: 0;
      padding: 0;
      list-style: none;
    }

    .active-filters .filter-label {
      font-weight: 500;
    }

    .menu {
      position: absolute;
      inset-inline-end: 0;
      top: calc(100% + 4px);
      z-index: 10;
      display: grid;
      min-width: 168px;
      padding: 4px;
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      border-radius: 8px;
      box-shadow: 0 8px 24px rgb(16 24 40 / 0.14);
    }

    .menu[hidden] {
      display: none;
    }

    .menu [role='menuitem'] {
      font: inherit;
      font-size: 13px;
      text-align: start;
      color: var(--ie-text);
      background: none;
      border: 1px solid transparent;
      border-radius: 6px;
      padding: 6px 10px;
      cursor: pointer;
    }

    .menu [role='menuitem']:hover,
    .menu [role='menuitem']:focus {
      background: var(--ie-subtle);
    }

    .title {
      margin: 0;
      font-size: 14px;
      line-height: 1.4;
      font-weight: 600;
      color: var(--ie-text);
    }

    .type-metric .title {
      font-weight: 500;
      color: var(--ie-muted);
    }

    .description {
      margin: 0;
      font-size: 12.5px;
      line-height: 1.45;
      color: var(--ie-muted);
    }

    .body {
      flex: 1;
      min-width: 0;
      transition: opacity 150ms ease;
    }

    .body.refreshing {
      opacity: 0.55;
    }

    .text p {
      margin: 0 0 0.75em;
      font-size: 14px;
      line-height: 1.6;
      color: var(--ie-text);
    }

    .text p:last-child {
      margin-bottom: 0;
    }

    .markdown {
      font-size: 14px;
      line-height: 1.6;
      overflow-wrap: anywhere;
    }

    .markdown > :first-child {
      margin-top: 0;
    }

    .markdown > :last-child {
      margin-bottom: 0;
    }

    .markdown h1,
    .markdown h2,
    .markdown h3,
    .markdown h4 {
      font-size: 15px;
      line-height: 1.35;
      margin: 1em 0 0.4em;
    }

    .markdown ul,
    .markdown ol {
      margin: 0 0 0.75em;
      padding-inline-start: 1.25em;
    }

    .markdown li + li {
      margin-top: 0.25em;
    }

    .markdown a {
      color: var(--ie-accent);
    }

    .markdown code {
      font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
      font-size: 12.5px;
      padding: 1px 4px;
      border-radius: 4px;
      background: var(--ie-subtle);
    }

    .markdown img {
      max-width: 100%;
    }

    .markdown blockquote {
      margin: 0 0 0.75em;
      padding-inline-start: 12px;
      border-inline-start: 3px solid var(--ie-border);
      color: var(--ie-muted);
    }

    .skeleton.metric {
      height: 36px;
      width: 55%;
    }

    .skeleton.chart {
      height: 240px;
    }

    .skeleton-rows {
      display: grid;
      gap: 10px;
    }

    .skeleton.row {
      height: 14px;
    }
  `,
];
