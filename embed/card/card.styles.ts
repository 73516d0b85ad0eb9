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
