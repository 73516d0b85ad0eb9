/**
 * Structured logs: one JSON object per line, filtered by level
 * (INSIGHT_LOG_LEVEL). Every line gets `time` and `level`; callers never pass
 * tokens, keys or SQL, and `redactLine` drops any member whose name says it
 * holds a secret, as a second line of defence.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogLine = Record<string, unknown>;
/** The shape `createApp({ log })` takes. */
export type LogSink = (line: LogLine) => void;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_NAMES = /authorization|token|password|secret|api[-_]?key|cookie/i;

/** Drops members whose names suggest secrets (top level only: log lines are flat). */
export function redactLine(line: LogLine): LogLine {
  const out: LogLine = {};
  for (const [name, value] of Object.entries(line)) {
    if (SECRET_NAMES.test(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface LoggerOptions {
  /** Lines below this level are dropped (default `info`). */
  level?: LogLevel;
  /** Where a finished line goes (default: stdout, one line each). */
  write?: (text: string) => void;
  now?: () => Date;
}

/**
 * @example
 * const log = createLogger({ level: 'info' });
 * log({ level: 'warn', msg: 'rate limiter: Redis is unreachable' });
 * createApp(services, { log });
 */
export function createLogger(options: LoggerOptions = {}): LogSink {
  const threshold = RANK[options.level ?? 'info'];
  const write = options.write ?? ((text: string) => process.stdout.write(text + '\n'));
  const now = options.now ?? (() => new Date());
  return function log(line) {
    const level = (typeof line['level'] === 'string' && line['level'] in RANK ? line['level'] : 'info') as LogLevel;
    if (RANK[level] < threshold) return;
    const { level: _level, ...rest } = redactLine(line);
    try {
      write(JSON.stringify({ time: now().toISOString(), level, ...rest }));
    } catch {
      // A line that cannot be written (closed stream, circular value) must not fail a request.
    }
  };
}
