/**
 * `GET /docs`: the API reference as one self-contained HTML page rendered
 * from the OpenAPI document (no script, no CDN, nothing fetched), grouped by
 * tag, with each operation's parameters, body schema and answers.
 */
import type { OpenApiDocument, Operation } from './openapi.ts';

const escape = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const STYLE = `
:root { color-scheme: light dark; --muted: #667; --line: #d8dbe2; --accent: #2457c5; }
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 68rem; padding: 1.5rem; }
h1 { margin-bottom: 0.2rem; } nav a { margin-right: 0.8rem; }
section { margin-top: 2rem; } h2 { border-bottom: 1px solid var(--line); text-transform: capitalize; }
article { border: 1px solid var(--line); border-radius: 6px; margin: 0.8rem 0; padding: 0.6rem 0.9rem; }
article h3 { font-size: 1rem; margin: 0; font-family: ui-monospace, monospace; }
.method { display: inline-block; min-width: 4.2rem; font-weight: 700; color: var(--accent); }
.meta, .muted { color: var(--muted); font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.4rem 0; } td, th { border: 1px solid var(--line); padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
pre { overflow: auto; max-height: 24rem; font-size: 0.82rem; padding: 0.5rem; border: 1px solid var(--line); border-radius: 4px; }
code { font-family: ui-monospace, monospace; }
`;

function schemaBlock(schema: unknown): string {
  return `<pre><code>${escape(JSON.stringify(schema, null, 2))}</code></pre>`;
}

function renderOperation(method: string, path: string, op: Operation): string {
  const parts: string[] = [];
  parts.push(`<article id="${escape(op.operationId)}"><h3><span class="method">${method.toUpperCase()}</span>${escape(path)}</h3>`);
  parts.push(`<p>${escape(op.summary)}</p>`);
  if (op.description) parts.push(`<p class="muted">${escape(op.description)}</p>`);
  const meta: string[] = [];
  if (op.security?.some((s) => 'adminBearer' in s)) meta.push('Authorization: Bearer &lt;API key or session&gt;');
  if (op.security?.some((s) => 'embedToken' in s)) meta.push('Authorization: Bearer &lt;embed token&gt;');
  if (op['x-permission']) meta.push(`permission <code>${escape(op['x-permission'])}</code>`);
  if (meta.length > 0) parts.push(`<p class="meta">${meta.join(' · ')}</p>`);
  if (op.parameters?.length) {
    const rows = op.parameters
      .map((p) => `<tr><td><code>${escape(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'required' : 'optional'}</td><td><code>${escape(JSON.stringify(p.schema))}</code></td></tr>`)
      .join('');
    parts.push(`<table aria-label="Parameters"><thead><tr><th>parameter</th><th>in</th><th></th><th>schema</th></tr></thead><tbody>${rows}</tbody></table>`);
  }
  const body = op.requestBody?.content['application/json']?.schema;
  if (body) parts.push(`<details><summary>Request body (application/json)</summary>${schemaBlock(body)}</details>`);
  const answers = Object.entries(op.responses)
    .map(([status, response]) => {
      const ref = (response as { $ref?: string }).$ref;
      return `<code>${escape(status)}</code>${ref ? ' <span class="muted">problem+json</span>' : ''}`;
    })
    .join(', ');
  parts.push(`<p class="meta">Answers: ${answers}</p></article>`);
  return parts.join('\n');
}

export function renderDocsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags[0] ?? 'other';
      const list = byTag.get(tag) ?? [];
      list.push(renderOperation(method, path, op));
      byTag.set(tag, list);
    }
  }
  const tags = [...byTag.keys()].sort();
  const slug = (tag: string) => `tag-${tag.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const sections = tags.map((tag) => `<section id="${slug(tag)}"><h2>${escape(tag)}</h2>${(byTag.get(tag) ?? []).join('\n')}</section>`).join('\n');
  const problem = doc.components.schemas['Problem'];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(doc.info.title)} ${escape(doc.info.version)}</title><style>${STYLE}</style></head>
<body><header><h1>${escape(doc.info.title)}</h1><p class="muted">Version ${escape(doc.info.version)} · OpenAPI ${escape(doc.openapi)} · <a href="/api/openapi.json">openapi.json</a></p>
<nav aria-label="Tags">${tags.map((t) => `<a href="#${slug(t)}">${escape(t)}</a>`).join('')}</nav></header>
<main>${sections}
<section id="errors"><h2>Errors</h2><p>Every error is <code>application/problem+json</code> (RFC 9457) with a stable <code>code</code>.</p>${schemaBlock(problem)}</section>
</main></body></html>`;
}
