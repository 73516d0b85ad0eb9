/**
 * Stories as code from the command line:
 *
 *   npm run stories -- export <slug> [file] [--published]
 *   npm run stories -- import <file>
 *
 * With INSIGHT_SERVER (or --server <url>) it talks to a running server's
 * admin API with INSIGHT_ADMIN_API_KEY (or --key <key>). Without it, it opens
 * the platform store itself: DATABASE_URL, or the embedded store under
 * INSIGHT_DATA_DIR (default ./.insight), which only one process can hold, so
 * use the admin API while the server runs on the embedded store.
 * `--org <id>` picks the organisation in the store (default: the default one).
 * Import is idempotent by slug: the same file twice changes nothing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ORG_ID } from '../server/bootstrap/ensure-default-org.ts';
import { isInsightError } from '../server/errors/insight-error.ts';
import { openStore } from '../server/store/open-store.ts';
import type { StoryDefinition } from '../server/stories/story-definition.ts';
import { createStoryRepository, type ImportResult } from '../server/stories/story-repository.ts';

const USAGE = `usage: stories export <slug> [file] [--published]
       stories import <file>
options: --server <url> --key <api key> (admin API), --org <id> (platform store)`;

interface Backend {
  exportStory(slug: string, published: boolean): Promise<StoryDefinition>;
  importStory(definition: unknown): Promise<ImportResult>;
  close(): Promise<void>;
}

class CliError extends Error {}

function apiBackend(server: string, key: string): Backend {
  async function call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(route, server), {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const payload = (await res.json().catch(() => ({}))) as { code?: string; detail?: string; errors?: unknown };
    if (!res.ok) throw new CliError(`${res.status} ${payload.code ?? ''} ${payload.detail ?? ''}${payload.errors ? `\n${JSON.stringify(payload.errors, null, 2)}` : ''}`);
    return payload as T;
  }
  return {
    async exportStory(slug, published) {
      const found = await call<{ items: Array<{ id: string; slug: string }> }>('GET', `/api/stories?q=${encodeURIComponent(slug)}&limit=200`);
      const story = found.items.find((s) => s.slug === slug);
      if (!story) throw new CliError(`no story with the slug "${slug}"`);
      return call('GET', `/api/stories/${story.id}/export${published ? '?version=published' : ''}`);
    },
    importStory: (definition) => call('POST', '/api/stories/import', definition),
    close: async () => {},
  };
}

async function storeBackend(orgId: string): Promise<Backend> {
  const store = await openStore({ databaseUrl: process.env['DATABASE_URL'] || undefined, dataDir: process.env['INSIGHT_DATA_DIR'] || './.insight' });
  const org = await store.db.selectFrom('organisations').select('id').where('id', '=', orgId).executeTakeFirst();
  if (!org) {
    await store.close();
    throw new CliError(`the platform store has no organisation "${orgId}" (start the server once to create the default one)`);
  }
  const stories = createStoryRepository(store.db);
  return {
    async exportStory(slug, published) {
      const { id } = await stories.load(orgId, slug);
      return stories.exportStory(orgId, id, { published });
    },
    importStory: (definition) => stories.importStory(orgId, definition, { actor: 'cli' }),
    close: () => store.close(),
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { server: { type: 'string' }, key: { type: 'string' }, org: { type: 'string' }, published: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, first, second] = positionals;
  if (values.help || !command || !first || (command !== 'export' && command !== 'import')) {
    console.error(USAGE);
    return 2;
  }
  const server = values.server ?? process.env['INSIGHT_SERVER'];
  let backend: Backend;
  if (server) {
    const key = values.key ?? process.env['INSIGHT_ADMIN_API_KEY'];
    if (!key) throw new CliError('the admin API needs a key: --key or INSIGHT_ADMIN_API_KEY');
    backend = apiBackend(server, key);
  } else {
    backend = await storeBackend(values.org ?? DEFAULT_ORG_ID);
  }
  try {
    if (command === 'export') {
      const text = `${JSON.stringify(await backend.exportStory(first, values.published === true), null, 2)}\n`;
      if (second) {
        await writeFile(second, text);
        console.error(`exported "${first}" to ${path.resolve(second)}`);
      } else {
        process.stdout.write(text);
      }
    } else {
      let definition: unknown;
      try {
        definition = JSON.parse(await readFile(first, 'utf8'));
      } catch (error) {
        throw new CliError(`cannot read ${first} as JSON: ${(error as Error).message}`);
      }
      const result = await backend.importStory(definition);
      const what = result.created ? 'created' : result.changed ? 'updated' : 'unchanged';
      const published = result.publishedVersion === null ? 'draft' : `published version ${result.publishedVersion}`;
      console.log(`${what}: ${result.id} (${published})`);
    }
    return 0;
  } finally {
    await backend.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliError) console.error(`stories: ${error.message}`);
    else if (isInsightError(error)) console.error(`stories: ${error.code} ${error.message}${error.extensions ? `\n${JSON.stringify(error.extensions, null, 2)}` : ''}`);
    else console.error(error);
    process.exit(1);
  },
);
