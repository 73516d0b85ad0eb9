/**
 * React: a component around the SDK's embedStory. Pass a stable `getToken`
 * (useCallback or a module function): a new function re-creates the embed.
 */
import { useEffect, useRef } from 'react';
import { createInsight, type EmbedHandle, type FilterValues } from '@insight-engine/sdk';

export interface InsightStoryProps {
  server: string;
  story: string;
  /** Fetches an embed token from your backend. */
  getToken: () => Promise<string>;
  filters?: FilterValues;
  page?: string;
  theme?: 'light' | 'dark';
}

export function InsightStory({ server, story, getToken, filters, page, theme }: InsightStoryProps) {
  const container = useRef<HTMLDivElement>(null);
  const handle = useRef<EmbedHandle | null>(null);

  useEffect(() => {
    const insight = createInsight({ server, tokenProvider: getToken });
    let live = true;
    void insight.embedStory(container.current!, { story, ...(filters ? { filters } : {}), ...(page ? { page } : {}), ...(theme ? { theme } : {}) }).then((h) => {
      if (live) handle.current = h;
      else h.destroy();
    });
    return () => {
      live = false;
      handle.current = null;
      insight.destroy();
    };
    // Filters, page and theme apply below without re-creating the embed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [server, story, getToken]);

  useEffect(() => {
    if (filters) handle.current?.setFilters(filters);
  }, [filters]);
  useEffect(() => {
    if (theme) handle.current?.element.setAttribute('theme', theme);
  }, [theme]);

  return <div ref={container} />;
}
