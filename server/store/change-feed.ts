/**
 * Tells every server instance that something the hot path keeps in memory
 * changed in the platform store: an embed key or a revoked token, a story,
 * a dataset, an organisation's settings. This instance forgets at once; with
 * REDIS_URL the change is published on one Redis channel and every other
 * instance forgets as soon as the message arrives, so a revocation takes
 * effect everywhere at once without any request reading the store.
 *
 * A subscriber that lost its connection may have missed messages: when it is
 * back it forgets everything. And every `refreshMs` (default 30 s) all kept
 * values are re-read in the background, a backstop that bounds staleness
 * even for instances that share a store without sharing a Redis.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StoreMemo } from './store-memo.ts';

export type ChangeTopic = 'embed-keys' | 'stories' | 'datasets' | 'org-config';

export interface ChangeFeed {
  /** Registers what a topic's change must drop and what the backstop refreshes. */
  watch(topic: ChangeTopic, memo: Pick<StoreMemo<unknown>, 'forget' | 'refresh'>): void;
  /** After a write: forget here now, and on every other instance. */
  changed(topic: ChangeTopic): void;
  close(): Promise<void>;
}

export interface ChangeFeedOptions {
  redisUrl?: string | undefined;
  refreshMs?: number;
  /** Redis channel (default 'insight:changes'). */
  channel?: string;
}

const TOPICS: readonly ChangeTopic[] = ['embed-keys', 'stories', 'datasets', 'org-config'];

const redisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 1_000,
  retryStrategy: (times: number) => Math.min(50 * 2 ** times, 1_000) + randomInt(100),
};

/**
 * @example
 * const changes = createChangeFeed({ redisUrl: config.redisUrl });
 * const stories = createStoryRepository(store.db, { changes });
 */
export function createChangeFeed(options: ChangeFeedOptions = {}): ChangeFeed {
  const watchers = new Map<ChangeTopic, Array<Pick<StoreMemo<unknown>, 'forget' | 'refresh'>>>();
  const forget = (topic: ChangeTopic) => watchers.get(topic)?.forEach((memo) => memo.forget());
  const forgetAll = () => TOPICS.forEach(forget);
  const timer = setInterval(() => watchers.forEach((memos) => memos.forEach((memo) => memo.refresh())), options.refreshMs ?? 30_000);
  timer.unref();

  const channel = options.channel ?? 'insight:changes';
  // Our own messages come back to us: this instance already forgot, so it skips them.
  const self = randomUUID();
  let publisher: Redis | undefined;
  let subscriber: Redis | undefined;
  if (options.redisUrl) {
    publisher = new Redis(options.redisUrl, redisOptions);
    subscriber = new Redis(options.redisUrl, redisOptions);
    // Failed reconnects are reported as unhandled without a listener; the backstop covers the gap.
    publisher.on('error', () => {});
    subscriber.on('error', () => {});
    let connectedBefore = false;
    subscriber.on('ready', () => {
      void subscriber?.subscribe(channel).catch(() => {});
      if (connectedBefore) forgetAll();
      connectedBefore = true;
    });
    subscriber.on('message', (_channel: string, message: string) => {
      const [from, topic] = message.split(' ');
      if (from === self) return;
      if ((TOPICS as readonly string[]).includes(topic ?? '')) forget(topic as ChangeTopic);
      else forgetAll();
    });
  }

  return {
    watch(topic, memo) {
      watchers.set(topic, [...(watchers.get(topic) ?? []), memo]);
    },
    changed(topic) {
      forget(topic);
      // Other instances learn it when Redis answers; if it does not, the backstop refresh does.
      publisher?.publish(channel, `${self} ${topic}`).catch(() => {});
    },
    async close() {
      clearInterval(timer);
      await Promise.all([publisher, subscriber].map((redis) => redis?.quit().catch(() => redis.disconnect())));
    },
  };
}
