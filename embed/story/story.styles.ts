import { css } from 'lit';
import { themeTokens } from '../shared/theme.styles.ts';

export const storyStyles = [
  themeTokens,
  css`
    :host {
      display: block;
      color-scheme: light dark;
      background: var(--ie-bg);
      border-radius: var(--ie-radius);
      padding: calc(var(--ie-space) * 1.5);
    }

    :host([theme='light']) {
      color-scheme: light;
    }

    :host([theme='dark']) {
      color-scheme: dark;
    }

    .story {
      display: grid;
      gap: calc(var(--ie-space) * 1.25);
      min-width: 0;
    }

    .header {
      display: grid;
      gap: 4px;
    }

    .title {
      margin: 0;
      font-size: 20px;
      line-height: 1.3;
      font-weight: 600;
      letter-spacing: -0.015em;
    }

    .description {
      margin: 0;
      font-size: 14px;
      line-height: 1.5;
      color: var(--ie-muted);
    }

    .tabs {
      display: flex;
      gap: 4px;
      border-bottom: 1px solid var(--ie-border);
      overflow-x: auto;
      scrollbar-width: none;
    }

    .tab {
      appearance: none;
      font: inherit;
      font-size: 13.5px;
      font-weight: 500;
      color: var(--ie-muted);
      background: none;
      border: 0;
      border-bottom: 2px solid transparent;
      margin-bottom: -1px;
      padding: 8px 12px 10px;
      white-space: nowrap;
      cursor: pointer;
      transition: color 120ms, border-color 120ms;
    }

    .tab:hover {
      color: var(--ie-text);
    }

    .tab[aria-selected='true'] {
      color: var(--ie-text);
      border-bottom-color: var(--ie-accent);
    }

    .tab:focus-visible {
      outline: 2px solid var(--ie-accent);
      outline-offset: -2px;
      border-radius: 6px 6px 0 0;
    }

    .page {
      display: grid;
      gap: var(--ie-space);
      min-width: 0;
      container-type: inline-size;
    }

    .narrative {
      margin: 0;
      font-size: 14px;
      line-height: 1.55;
      color: var(--ie-muted);
      max-width: 72ch;
    }

    .grid {
      display: grid;
      gap: var(--ie-space);
      grid-template-columns: minmax(0, 1fr);
      align-items: stretch;
    }

    .layout-grid {
      grid-template-columns: repeat(auto-fill, minmax(min(100%, 280px), 1fr));
    }

    @container (min-width: 720px) {
      .layout-double,
      .layout-triple {
        grid-template-columns: repeat(2, minmax(0, 1fr));
      }
    }

    @container (min-width: 1024px) {
      .layout-triple {
        grid-template-columns: repeat(3, minmax(0, 1fr));
      }
    }

    .skeleton.title {
      height: 24px;
      width: 240px;
      max-width: 60%;
    }

    .skeleton.line {
      height: 14px;
      width: 360px;
      max-width: 80%;
    }

    .skeleton.card {
      height: 160px;
      border-radius: var(--ie-radius);
    }

    .error {
      max-width: 640px;
    }
  `,
];
