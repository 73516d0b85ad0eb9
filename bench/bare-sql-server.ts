/**
 * The uncached-card baseline as its own process: a bare node HTTP server in
 * front of a raw `pg` Pool (16 clients by default) that runs one SQL text,
 * given on the command line, with the parameters each request's JSON body
 * carries (`{ "parameters": [...] }`), and answers the rows as JSON. No
 * envelope, no auth, no cache: the floor any embedding layer could reach while
 * still paying HTTP like the product does. Prints one JSON line `{ "url": ... }`
 * when it listens; SIGTERM ends it.
 *
 * `node --import tsx bench/bare-sql-server.ts <sql file> [pool size]`
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import pg from 'pg';
import { parseConnectionUrl } from '../server/connectors/connection-url.ts';
import { POSTGRES_URL } from '../server/testing/services.ts';

const text = readFileSync(process.argv[2] as string, 'utf8');
const url = parseConnectionUrl(POSTGRES_URL);
const pool = new pg.Pool({ host: url.host, port: url.port, database: url.database, user: url.user, password: url.password, max: Number(process.argv[3] ?? 16) });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      try {
        const { parameters } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { parameters: unknown[] };
        const result = await pool.query({ text, values: parameters, rowMode: 'array' });
        const body = JSON.stringify({ columns: result.fields.map((f) => f.name), rows: result.rows });
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      }
    })();
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  void pool.end().finally(() => process.exit(0));
});
