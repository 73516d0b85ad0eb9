/**
 * Connection URLs as vendors paste them from their hosting dashboards. The URL
 * holds a password, so no error here ever quotes it back.
 */
import { InsightError } from '../errors/insight-error.ts';

export interface ParsedConnectionUrl {
  type: 'postgres' | 'mysql';
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  /**
   * From `sslmode`/`ssl` (postgres only), present only when the URL says.
   * Parsed rather than ignored: silently dropping `sslmode=require` would
   * send credentials in clear text.
   */
  ssl?: boolean;
}

const SCHEMES: Record<string, { type: ParsedConnectionUrl['type']; defaultPort: number }> = {
  'postgres:': { type: 'postgres', defaultPort: 5432 },
  'postgresql:': { type: 'postgres', defaultPort: 5432 },
  'mysql:': { type: 'mysql', defaultPort: 3306 },
  'mariadb:': { type: 'mysql', defaultPort: 3306 },
};

/** One host name or address; a comma-separated host list (libpq multi-host) is not supported. */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const IPV6_LITERAL = /^\[([0-9A-Fa-f:.]+)\]$/;

const SSL_MODES: Record<string, boolean> = {
  disable: false,
  require: true,
  'verify-ca': true,
  'verify-full': true,
  true: true,
  false: false,
  '1': true,
  '0': false,
};

/**
 * Parses `postgres://`, `postgresql://`, `mysql://` and `mariadb://` URLs.
 * Throws ERR_VALIDATION for anything else, for a missing host, user or
 * database, and for query parameters it would otherwise have to ignore.
 *
 * @example
 * parseConnectionUrl('postgres://reader:s3cret@db.example.com/shop?sslmode=require');
 * // { type: 'postgres', host: 'db.example.com', port: 5432, database: 'shop', user: 'reader', password: 's3cret', ssl: true }
 */
export function parseConnectionUrl(url: string): ParsedConnectionUrl {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw invalid('The connection URL is not a valid URL');
  }
  const scheme = SCHEMES[parsed.protocol.toLowerCase()];
  if (!scheme) throw invalid('The connection URL must start with postgres://, postgresql://, mysql:// or mariadb://');

  const ipv6 = IPV6_LITERAL.exec(parsed.hostname);
  const host = ipv6 ? ipv6[1]! : parsed.hostname;
  if (!ipv6 && !HOST_NAME.test(host)) throw invalid('The connection URL must name one host');

  const port = parsed.port === '' ? scheme.defaultPort : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('The connection URL has an invalid port');

  const user = decode(parsed.username);
  if (!user) throw invalid('The connection URL must name a user');
  const password = parsed.password === '' ? undefined : decode(parsed.password);

  const database = decode(parsed.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) throw invalid('The connection URL must name one database, as in /dbname');

  const result: ParsedConnectionUrl = { type: scheme.type, host, port, database, user, password };
  for (const [key, value] of parsed.searchParams) {
    if (scheme.type === 'postgres' && (key === 'sslmode' || key === 'ssl') && Object.hasOwn(SSL_MODES, value)) {
      result.ssl = SSL_MODES[value];
    } else {
      // Only the key: a value could be a secret (sslpassword, ...).
      throw invalid(`The connection URL parameter "${key.slice(0, 40)}" is not supported`);
    }
  }
  return result;
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    throw invalid('The connection URL has an invalid percent-encoding');
  }
}

function invalid(detail: string): InsightError {
  return new InsightError('ERR_VALIDATION', detail);
}
