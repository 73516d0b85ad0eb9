/**
 * `GET /docs`: the API reference as one self-contained HTML page rendered
 * from the OpenAPI document (no script, no CDN, nothing fetched), grouped by
 * tag, with each operation's authentication and permission, parameters,
 * request body fields (and the JSON Schema behind them) and answers.
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
.body table { font-size: 0.88rem; } .body th[colspan] { font-weight: 600; background: color-mix(in srgb, var(--line) 35%, transparent); }
`;

function schemaBlock(schema: unknown): string {
  return `<pre><code>${escape(JSON.stringify(schema, null, 2))}</code></pre>`;
}

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Follows a `#/components/schemas/…` reference (one hop; a recursive schema stays a name). */
function resolve(schema: Schema, components: Record<string, Schema>): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/components/schemas/')) return schema;
  return components[ref.slice('#/components/schemas/'.length)] ?? schema;
}

const variantsOf = (schema: Schema): Schema[] => ((schema['anyOf'] ?? schema['oneOf']) as Schema[] | undefined)?.filter(isObject) ?? [];

/** One line for a schema: `string, 1–200 chars`, `integer, 1–65535`, `"csv" | "xlsx"`, `array of object, at most 10`. */
function typeLabel(schema: Schema, components: Record<string, Schema>): string {
  const ref = schema['$ref'];
  if (typeof ref === 'string') return ref.split('/').pop() ?? 'object';
  const variants = variantsOf(schema);
  if (variants.length > 0) {
    const resolved = variants.map((v) => resolve(v, components));
    if (resolved.every((v) => isObject(v['properties']))) return `one of ${resolved.length} shapes`;
    return resolved.map((v) => typeLabel(v, components)).join(' | ');
  }
  if (Array.isArray(schema['enum'])) return (schema['enum'] as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in schema) return JSON.stringify(schema['const']);
  const type = Array.isArray(schema['type']) ? (schema['type'] as string[]).join(' | ') : typeof schema['type'] === 'string' ? schema['type'] : 'any';
  const bounds = (min: unknown, max: unknown, unit: string) =>
    min !== undefined && max !== undefined ? `, ${min}–${max}${unit}` : max !== undefined ? `, at most ${max}${unit}` : min !== undefined ? `, at least ${min}${unit}` : '';
  if (type === 'string') return `string${bounds(schema['minLength'], schema['maxLength'], ' chars')}${schema['format'] ? ` (${schema['format']})` : ''}`;
  if (type === 'integer' || type === 'number') return `${type}${bounds(schema['minimum'], schema['maximum'], '')}`;
  if (type === 'array') {
    const items = isObject(schema['items']) ? typeLabel(resolve(schema['items'], components), components) : 'any';
    return `array of ${/[|,]/.test(items) ? `(${items})` : items}${bounds(schema['minItems'], schema['maxItems'], ' items')}`;
  }
  if (type === 'object' && !isObject(schema['properties']) && isObject(schema['additionalProperties'])) {
    return `object of name → ${typeLabel(resolve(schema['additionalProperties'], components), components)}`;
  }
  return type;
}

function notesOf(schema: Schema): string {
  const notes: string[] = [];
  if (typeof schema['description'] === 'string') notes.push(escape(schema['description']));
  if ('default' in schema) notes.push(`default <code>${escape(JSON.stringify(schema['default']))}</code>`);
  if (typeof schema['pattern'] === 'string') notes.push(`pattern <code>${escape(schema['pattern'])}</code>`);
  return notes.join('; ');
}

/**
 * The fields of a body schema as table rows, nested fields by dotted name
 * (`query.dimensions[].column`), so a reader sees names, types, limits and
 * what is required without reading JSON Schema.
 */
function fieldRows(schema: Schema, components: Record<string, Schema>, prefix: string, depth: number): string[] {
  const target = resolve(schema, components);
  const rows: string[] = [];
  const properties = isObject(target['properties']) ? (target['properties'] as Record<string, unknown>) : undefined;
  if (properties) {
    const required = new Set((target['required'] as string[] | undefined) ?? []);
    for (const [name, raw] of Object.entries(properties)) {
      if (!isObject(raw)) continue;
      const field = resolve(raw, components);
      const path = `${prefix}${name}`;
      rows.push(`<tr><td><code>${escape(path)}</code></td><td>${escape(typeLabel(raw, components))}</td><td>${required.has(name) && !('default' in field) ? 'required' : 'optional'}</td><td>${notesOf(field)}</td></tr>`);
      if (depth < 3 && raw['$ref'] === undefined) rows.push(...nestedRows(field, components, path, depth + 1));
    }
    return rows;
  }
  const variants = variantsOf(target);
  variants.forEach((variant, index) => {
    rows.push(`<tr><th colspan="4">${prefix ? `<code>${escape(prefix.replace(/\.$/, ''))}</code>: ` : ''}shape ${index + 1} of ${variants.length}</th></tr>`);
    rows.push(...fieldRows(variant, components, prefix, depth));
  });
  return rows;
}

function nestedRows(field: Schema, components: Record<string, Schema>, path: string, depth: number): string[] {
  if (isObject(field['properties'])) return fieldRows(field, components, `${path}.`, depth);
  const items = isObject(field['items']) ? resolve(field['items'], components) : undefined;
  if (field['type'] === 'array' && items && (isObject(items['properties']) || variantsOf(items).some((v) => isObject(v['properties'])))) {
    return fieldRows(items, components, `${path}[].`, depth);
  }
  if (variantsOf(field).some((v) => isObject(v['properties']))) return fieldRows(field, components, `${path}.`, depth);
  return [];
}

function bodyBlock(schema: Schema, components: Record<string, Schema>): string {
  const rows = fieldRows(schema, components, '', 0);
  const table = rows.length > 0
    ? `<table aria-label="Request body fields"><thead><tr><th>field</th><th>type</th><th></th><th>notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    : `<p class="meta">${escape(typeLabel(schema, components))}</p>`;
  return `<div class="body"><p class="meta">Request body (application/json)</p>${table}<details><summary>JSON Schema</summary>${schemaBlock(schema)}</details></div>`;
}

function renderOperation(method: string, path: string, op: Operation, components: Record<string, Schema>): string {
  const parts: string[] = [];
  parts.push(`<article id="${escape(op.operationId)}"><h3><span class="method">${method.toUpperCase()}</span>${escape(path)}</h3>`);
  parts.push(`<p>${escape(op.summary)}</p>`);
  if (op.description) parts.push(`<p class="muted">${escape(op.description)}</p>`);
  const meta: string[] = [];
  if (op.security?.some((s) => 'adminBearer' in s)) meta.push('Authorization: Bearer &lt;API key or session&gt;');
  if (op.security?.some((s) => 'embedToken' in s)) meta.push('Authorization: Bearer &lt;embed token&gt;');
  if (op['x-permission']) meta.push(`permission <code>${escape(op['x-permission'])}</code>`);
  if (op['x-embed-permission']) meta.push(`token permission <code>${escape(op['x-embed-permission'])}</code>`);
  if (!op.security) meta.push('no authentication');
  if (meta.length > 0) parts.push(`<p class="meta">${meta.join(' · ')}</p>`);
  if (op.parameters?.length) {
    const rows = op.parameters
      .map((p) => `<tr><td><code>${escape(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'required' : 'optional'}</td><td>${escape(typeLabel(p.schema, components))}</td><td>${notesOf(p.schema)}</td></tr>`)
      .join('');
    parts.push(`<table aria-label="Parameters"><thead><tr><th>parameter</th><th>in</th><th></th><th>type</th><th>notes</th></tr></thead><tbody>${rows}</tbody></table>`);
  }
  const body = op.requestBody?.content['application/json']?.schema;
  if (body) parts.push(bodyBlock(body, components));
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
      list.push(renderOperation(method, path, op, doc.components.schemas));
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
