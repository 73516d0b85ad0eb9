import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it('writes one JSON line per entry with time and level, dropping lines below the threshold', () => {
    const out: string[] = [];
    const log = createLogger({ level: 'warn', write: (text) => out.push(text), now: () => new Date('2026-01-02T03:04:05.000Z') });
    log({ level: 'info', msg: 'not shown' });
    log({ level: 'warn', msg: 'shown', route: '/api/config' });
    log({ msg: 'no level reads as info' });
    log({ level: 'error', msg: 'also shown' });
    expect(out.map((line) => JSON.parse(line))).toEqual([
      { time: '2026-01-02T03:04:05.000Z', level: 'warn', msg: 'shown', route: '/api/config' },
      { time: '2026-01-02T03:04:05.000Z', level: 'error', msg: 'also shown' },
    ]);
    expect(out.every((line) => !line.includes('\n'))).toBe(true);
  });

  it('drops members named like secrets', () => {
    const out: string[] = [];
    const log = createLogger({ write: (text) => out.push(text) });
    log({ msg: 'x', authorization: 'Bearer abc', token: 't', apiKey: 'k', password: 'p', embedSecret: 's', status: 200 });
    expect(JSON.parse(out[0] as string)).toEqual({ time: expect.any(String), level: 'info', msg: 'x', status: 200 });
  });

  it('writes nothing when silent', () => {
    const out: string[] = [];
    createLogger({ level: 'silent', write: (text) => out.push(text) })({ level: 'error', msg: 'x' });
    expect(out).toEqual([]);
  });
});
