import { css } from 'lit';
import { scrollCueStyles } from '../shared/scroll-cue.ts';
import { themeTokens } from '../shared/theme.styles.ts';

export const storyStyles = [
  themeTokens,
  scrollCueStyles,
  css`
    :host {
      display: block;
      color-scheme: light dark;
      background: var(--ie-bg);
      border-radius: var(--ie-radius);
      padding: calc(var(--ie-space) * 1.5);
    }

    @media (max-width: 480px) {
      :host {
        padding: calc(var(--ie-space) * 0.75);
      }
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

    .tabs-frame {
      --ie-cue-color: var(--ie-bg);
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

    .breadcrumb {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 6px 12px;
      font-size: 13px;
    }

    .breadcrumb ol {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 4px;
      margin: 0;
      padding: 0;
      list-style: none;
      min-width: 0;
    }

    .breadcrumb li {
      display: inline-flex;
      align-items: center;
      gap: 4px;
      color: var(--ie-muted);
    }

    .breadcrumb li + li::before {
      content: '/';
      color: var(--ie-border);
      padding-inline-end: 2px;
    }

    .breadcrumb .current {
      color: var(--ie-text);
      font-weight: 500;
    }

    .breadcrumb .applied {
      color: var(--ie-muted);
      font-weight: 400;
    }

    .back,
    .crumb {
      font: inherit;
      border-radius: 6px;
      cursor: pointer;
    }

    .back {
      display: inline-flex;
      align-items: center;
      gap: 6px;
      font-weight: 500;
      color: var(--ie-text);
      background: var(--ie-surface);
      border: 1px solid var(--ie-border);
      padding: 4px 10px;
    }

    .back:hover {
      background: var(--ie-subtle);
    }

    .crumb {
      color: var(--ie-accent);
      background: none;
      border: 1px solid transparent;
      padding: 2px 4px;
      text-decoration: underline;
      text-underline-offset: 2px;
    }

    .back:focus-visible,
    .crumb:focus-visible {
      outline: none;
      border-color: var(--ie-accent);
      box-shadow: var(--ie-focus-ring);
    }

    .page:focus {
      outline: none;
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
