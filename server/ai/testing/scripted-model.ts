/**
 * A real OpenAI-compatible HTTP server on loopback for tests: it answers
 * `POST /v1/chat/completions` from a script (a reply text, an HTTP error, or
 * no answer at all) and records every request, so tests exercise the real
 * `openai` client, its timeouts and its error handling.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ModelRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
}

/** A text reply (the model's message content), an HTTP error status, or a model that never answers. */
export type ModelReply = string | { status: number } | { hang: true };

export type ModelScript = (request: ModelRequest, index: number) => ModelReply;

export interface ScriptedModel {
  /** Base URL for OPENAI_BASE_URL (ends with /v1). */
  url: string;
  requests: ModelRequest[];
  /** How many calls to a hanging model the client gave up on (closed unanswered): a time box at work. */
  readonly abandoned: number;
  /** Replaces the script and forgets the recorded requests. */
  use(script: ModelScript): void;
  close(): Promise<void>;
}

/** A reply as the model would send SQL: the JSON object the prompt asks for. */
export const sqlReply = (sql: string, explanation = 'Computed from the data.') => JSON.stringify({ sql, explanation });

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startScriptedModel(initial: ModelScript = () => sqlReply('')): Promise<ScriptedModel> {
  let script = initial;
  let requests: ModelRequest[] = [];
  let abandoned = 0;
  const sockets = new Set<Socket>();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    const body = JSON.parse(await readBody(req)) as ModelRequest;
    requests.push(body);
    const reply = script(body, requests.length - 1);
    if (typeof reply === 'object' && 'hang' in reply) {
      // Never answers; the client must give up.
      res.on('close', () => abandoned++);
      return;
    }
    if (typeof reply === 'object') {
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return requests;
    },
    get abandoned() {
      return abandoned;
    },
    use(next) {
      script = next;
      requests = [];
      abandoned = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
