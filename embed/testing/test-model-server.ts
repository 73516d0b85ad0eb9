/**
 * Runs in Node inside the web-test-runner process: a small OpenAI-compatible
 * chat completions server, so component tests see answers of the AI engine
 * and its fallback to the offline engine over real HTTP.
 *
 * Questions mentioning "unreachable" get an HTTP 503 (the server falls back
 * offline with `model_error`); every other question gets revenue by region.
 */
import { createServer, type Server } from 'node:http';

const REGION_SQL = 'select region, sum(revenue) as revenue from sales group by region order by revenue desc';

interface ChatRequest {
  messages?: Array<{ role: string; content: string }>;
}

export async function startTestModelServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: ChatRequest = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest;
      } catch {
        body = {};
      }
      const question = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '';
      res.setHeader('content-type', 'application/json');
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404).end(JSON.stringify({ error: { message: 'not found' } }));
      } else if (question.includes('unreachable')) {
        res.writeHead(503).end(JSON.stringify({ error: { message: 'model overloaded', type: 'server_error' } }));
      } else {
        const content = JSON.stringify({ sql: REGION_SQL, explanation: 'Revenue summed per region, largest first.' });
        res.writeHead(200).end(
          JSON.stringify({
            id: 'chatcmpl-test',
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: 'test-model',
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
