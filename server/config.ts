/**
 * Configuration by environment (ARCHITECTURE.md §3). Everything is optional:
 * without any variable the server runs the demo on embedded defaults.
 *
 * Production mode (`NODE_ENV=production` or `INSIGHT_ENV=production`) turns
 * the demo off by default and refuses to start on a convenient but insecure
 * setting unless the operator opts in by name in INSIGHT_ALLOW_INSECURE:
 * `demo` (INSIGHT_DEMO=1), `origins` (INSIGHT_ALLOWED_ORIGINS unset or `*`),
 * `generated-secrets` (a secret left to be generated into dataDir) and
 * `registration` (INSIGHT_ALLOW_REGISTRATION=1). Every problem is listed at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseAllowlist } from './connectors/host-policy.ts';

export interface InsightConfig {
  port: number;
  host: string;
  /** Folder of the embedded platform store, the demo warehouse and generated secrets. */
  dataDir: string;
  /** Platform store on PostgreSQL; embedded PGlite under dataDir when unset. */
  databaseUrl: string | undefined;
  /** Shared result cache; in-process cache when unset. */
  redisUrl: string | undefined;
  /** 32-byte key for AES-256-GCM encryption of credentials and embed secrets at rest. */
  secretKey: Buffer;
  /** Bootstrap admin API key of the default organisation (generated and kept in dataDir when unset). */
  adminApiKey: string;
  /** HS256 signing secret of the default organisation's first embed key (generated and kept in dataDir when unset). */
  embedSecret: string;
  /** HS256 secret of admin session tokens (generated and kept in dataDir when unset); separate from every embed secret. */
  sessionSecret: string;
  /** Origins allowed to call the embed API and frame the iframe page ('*' = any). */
  allowedOrigins: string[];
  /** OpenAI-compatible server for questions; used only when apiKey is set. `timeoutMs` bounds each model call. */
  openai: { apiKey: string | undefined; baseUrl: string | undefined; model: string; timeoutMs: number };
  statementTimeoutMs: number;
  rowCap: number;
  cacheTtlSeconds: number;
  /** Provision the demo warehouse, dataset and story at start. */
  demo: boolean;
  /** Orders in the demo warehouse (≥ 200k for the real demo; tests use fewer). */
  demoOrders: number;
  /** Structured log threshold (`debug`, `info`, `warn`, `error`, `silent`). */
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Requests per window per admin credential and per embed viewer; 0 switches a limit off. */
  rateLimit: { windowMs: number; admin: number; embed: number };
  /** How long a shutdown waits for in-flight requests before closing their connections. */
  shutdownTimeoutMs: number;
  /**
   * Anyone may create an organisation with `POST /api/auth/register`
   * (INSIGHT_ALLOW_REGISTRATION=1). Off by default: the first owner comes
   * from the bootstrap admin key, further users from invitations.
   */
  allowRegistration: boolean;
  /**
   * Host names, addresses and CIDR ranges that connections may reach on top
   * of public addresses (INSIGHT_CONNECTION_HOSTS, comma-separated). Empty by
   * default: loopback, private, link-local and metadata hosts are refused.
   */
  connectionHosts: string[];
  /** NODE_ENV or INSIGHT_ENV is `production`: insecure defaults are refused at start (see the file comment). */
  production: boolean;
  /** Refuse PATCH, PUT and DELETE of a versioned admin resource without `If-Match` (428); off by default so older clients keep working. */
  requireIfMatch: boolean;
}

/** Insecure settings production mode accepts only when named in INSIGHT_ALLOW_INSECURE. */
export const INSECURE_OPT_INS = ['demo', 'origins', 'generated-secrets', 'registration'] as const;
type InsecureOptIn = (typeof INSECURE_OPT_INS)[number];

const GENERATED_SECRETS = ['INSIGHT_SECRET_KEY', 'INSIGHT_ADMIN_API_KEY', 'INSIGHT_EMBED_SECRET', 'INSIGHT_SESSION_SECRET'] as const;

const env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().default('127.0.0.1'),
  INSIGHT_DATA_DIR: z.string().default('./.insight'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  INSIGHT_SECRET_KEY: z.string().min(16).optional(),
  INSIGHT_ADMIN_API_KEY: z.string().min(16).optional(),
  INSIGHT_EMBED_SECRET: z.string().min(32, 'INSIGHT_EMBED_SECRET must be at least 32 characters').optional(),
  INSIGHT_SESSION_SECRET: z.string().min(32, 'INSIGHT_SESSION_SECRET must be at least 32 characters').optional(),
  INSIGHT_ALLOWED_ORIGINS: z.string().optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  INSIGHT_AI_MODEL: z.string().default('gpt-4o-mini'),
  INSIGHT_AI_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(8000),
  INSIGHT_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  INSIGHT_ROW_CAP: z.coerce.number().int().min(1).default(10_000),
  INSIGHT_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).default(300),
  INSIGHT_DEMO: z.enum(['0', '1']).optional(),
  NODE_ENV: z.string().optional(),
  INSIGHT_ENV: z.string().optional(),
  INSIGHT_ALLOW_INSECURE: z
    .string()
    .default('')
    .transform((text) => text.split(',').map((item) => item.trim()).filter(Boolean))
    .pipe(z.array(z.enum(INSECURE_OPT_INS, { message: `INSIGHT_ALLOW_INSECURE takes a comma-separated list of ${INSECURE_OPT_INS.join(', ')}` }))),
  INSIGHT_DEMO_ORDERS: z.coerce.number().int().min(100).default(240_000),
  INSIGHT_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  INSIGHT_METRICS_TOKEN: z.string().min(16, 'INSIGHT_METRICS_TOKEN must be at least 16 characters').optional(),
  INSIGHT_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  INSIGHT_RATE_LIMIT_ADMIN: z.coerce.number().int().min(0).default(1200),
  INSIGHT_RATE_LIMIT_EMBED: z.coerce.number().int().min(0).default(1200),
  INSIGHT_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(25_000),
  INSIGHT_ALLOW_REGISTRATION: z.enum(['0', '1', 'false', 'true']).default('0'),
  INSIGHT_CONNECTION_HOSTS: z
    .string()
    .default('')
    .superRefine((text, ctx) => {
      try {
        parseAllowlist(listOf(text));
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  INSIGHT_REQUIRE_IF_MATCH: z.enum(['0', '1']).default('0'),
});

function listOf(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter(Boolean);
}

/** Reads a secret from the environment or from a file in dataDir, creating it on first start. */
function persistedSecret(dataDir: string, file: string, make: () => string): string {
  const full = path.join(dataDir, file);
  if (existsSync(full)) return readFileSync(full, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const value = make();
  writeFileSync(full, value + '\n', { mode: 0o600 });
  return value;
}

export function loadConfig(source: Record<string, string | undefined> = process.env): InsightConfig {
  const parsed = env.safeParse(Object.fromEntries(Object.entries(source).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${lines}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production' || e.INSIGHT_ENV === 'production';
  if (production) {
    const problems = productionProblems(e, new Set(e.INSIGHT_ALLOW_INSECURE));
    if (problems.length > 0) {
      throw new Error(`Refusing to start in production mode:\n${problems.map((p) => `  ${p}`).join('\n')}\nFix these, or accept a risk by naming it in INSIGHT_ALLOW_INSECURE (${INSECURE_OPT_INS.join(', ')}).`);
    }
  }
  const dataDir = path.resolve(e.INSIGHT_DATA_DIR);
  const secretKeyText = e.INSIGHT_SECRET_KEY ?? persistedSecret(dataDir, 'secret.key', () => randomBytes(32).toString('base64url'));
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    // Any length of key text is stretched to the 32 bytes AES-256 needs.
    secretKey: createHash('sha256').update(secretKeyText).digest(),
    adminApiKey: e.INSIGHT_ADMIN_API_KEY ?? persistedSecret(dataDir, 'admin-api-key', () => `ik_${randomBytes(24).toString('base64url')}`),
    embedSecret: e.INSIGHT_EMBED_SECRET ?? persistedSecret(dataDir, 'embed-secret', () => randomBytes(32).toString('base64url')),
    sessionSecret: e.INSIGHT_SESSION_SECRET ?? persistedSecret(dataDir, 'session-secret', () => randomBytes(32).toString('base64url')),
    allowedOrigins: listOf(e.INSIGHT_ALLOWED_ORIGINS ?? '*'),
    openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL, model: e.INSIGHT_AI_MODEL, timeoutMs: e.INSIGHT_AI_TIMEOUT_MS },
    statementTimeoutMs: e.INSIGHT_STATEMENT_TIMEOUT_MS,
    rowCap: e.INSIGHT_ROW_CAP,
    cacheTtlSeconds: e.INSIGHT_CACHE_TTL_SECONDS,
    // The demo is on by default only outside production.
    demo: (e.INSIGHT_DEMO ?? (production ? '0' : '1')) === '1',
    demoOrders: e.INSIGHT_DEMO_ORDERS,
    logLevel: e.INSIGHT_LOG_LEVEL,
    metricsToken: e.INSIGHT_METRICS_TOKEN,
    rateLimit: { windowMs: e.INSIGHT_RATE_LIMIT_WINDOW_SECONDS * 1000, admin: e.INSIGHT_RATE_LIMIT_ADMIN, embed: e.INSIGHT_RATE_LIMIT_EMBED },
    shutdownTimeoutMs: e.INSIGHT_SHUTDOWN_TIMEOUT_MS,
    allowRegistration: e.INSIGHT_ALLOW_REGISTRATION === '1' || e.INSIGHT_ALLOW_REGISTRATION === 'true',
    connectionHosts: listOf(e.INSIGHT_CONNECTION_HOSTS),
    production,
    requireIfMatch: e.INSIGHT_REQUIRE_IF_MATCH === '1',
  };
}

/** Every insecure setting production mode refuses, unless opted in; names the variable, never its value. */
function productionProblems(e: z.infer<typeof env>, optIns: ReadonlySet<InsecureOptIn>): string[] {
  const problems: string[] = [];
  if (e.INSIGHT_DEMO === '1' && !optIns.has('demo')) problems.push('INSIGHT_DEMO=1 runs the public demo; set INSIGHT_DEMO=0 or opt in with "demo"');
  const origins = listOf(e.INSIGHT_ALLOWED_ORIGINS ?? '');
  if ((origins.length === 0 || origins.includes('*')) && !optIns.has('origins')) {
    problems.push('INSIGHT_ALLOWED_ORIGINS must list the origins that may embed (not "*"), or opt in with "origins"');
  }
  if (!optIns.has('generated-secrets')) {
    for (const name of GENERATED_SECRETS) if (e[name] === undefined) problems.push(`${name} must be set (a generated one would live only in INSIGHT_DATA_DIR), or opt in with "generated-secrets"`);
  }
  if ((e.INSIGHT_ALLOW_REGISTRATION === '1' || e.INSIGHT_ALLOW_REGISTRATION === 'true') && !optIns.has('registration')) {
    problems.push('INSIGHT_ALLOW_REGISTRATION=1 lets anyone create an organisation; opt in with "registration"');
  }
  return problems;
}
