/**
 * Questions in plain language, answered with rows the asker may read.
 *
 * With a model configured (OPENAI_API_KEY) the model writes SQL over the
 * asker's datasets; the SQL passes the guard and runs through the query
 * engine with the asker's locked params, so the row policy confines it
 * whatever it says. Refusals and errors go back to the model for up to two
 * repairs; a model that fails, stalls or cannot be repaired hands the
 * question to the offline engine, and the answer says why (`fallbackReason`).
 * Without a model the offline engine answers alone.
 */
import type { AskRequest, AskResponse, AskSuggestionsResponse, ChartShorthand } from '@insight-engine/sdk/protocol';
import type { ConnectionRegistry } from '../connectors/connection-registry.ts';
import type { Dialect } from '../connectors/connector.ts';
import type { DatasetRepository } from '../datasets/dataset-repository.ts';
import { InsightError } from '../errors/insight-error.ts';
import type { QueryActor } from '../history/query-history.ts';
import { compileDatasetSelect } from '../query/compile-query.ts';
import { policyParams } from '../query/dataset-source.ts';
import type { QueryEngine } from '../query/query-engine.ts';
import { guardSql, referencedDatasets } from '../query/sql-guard/guard-sql.ts';
import { scanSql } from '../query/sql-guard/scan-sql.ts';
import type { StructuredQuery } from '../query/structured-query.ts';
import type { SavedQueryRepository } from '../saved-queries/saved-query-repository.ts';
import type { StoryRepository } from '../stories/story-repository.ts';
import type { EmbedViewer } from '../tokens/verify-embed-token.ts';
import { checkColumns } from '../query/sql-guard/check-columns.ts';
import { displaySql, readResult, suggestVisualizations, type ResultData } from './answer-result.ts';
import { scopeDataset, viewerDatasets, type ScopedDataset } from './ask-datasets.ts';
import type { LlmCallOptions, LlmClient } from './llm-client.ts';
import type { AskDataset, Interpretation, ValueLookup } from './offline/interpret-question.ts';
import { describeSql } from './plain-explanation.ts';
import { buildSqlPrompt, type PromptDataset, type PromptExample } from './sql-prompt.ts';
import { createValueLookups, type ValueLookups } from './value-lookup.ts';
import { writeSql, type FallbackReason } from './write-sql.ts';

/** The offline engine as the ask service uses it (server/ai/offline/interpret-question.ts). */
export interface OfflineInterpreter {
  interpretQuestion(question: string, datasets: AskDataset[], options: { lookup: ValueLookup; now?: Date }): Promise<Interpretation>;
  suggestQuestions(datasets: AskDataset[], limit?: number): string[];
}

export interface AskServiceDeps {
  stories: Pick<StoryRepository, 'load'>;
  datasets: Pick<DatasetRepository, 'getByName' | 'list'>;
  engine: QueryEngine;
  connections: Pick<ConnectionRegistry, 'get'>;
  savedQueries: Pick<SavedQueryRepository, 'list'>;
  offline: OfflineInterpreter;
  /** The model; null answers every question offline. */
  llm: LlmClient | null;
  lookups?: ValueLookups;
  /** Corrections the model may make after a refusal or an error (default 2). */
  maxRepairs?: number;
  /** Generated SQL kept per question, dataset versions and params (default 500). */
  sqlCacheSize?: number;
  /** An organisation's own AI settings (PUT /api/config): off, or another model or time box. Default: the server's. */
  aiSettings?: (orgId: string) => Promise<AiSettings>;
}

export interface AiSettings {
  enabled: boolean;
  model: string;
  timeoutMs: number;
}

export interface GenerateQueryInput {
  question: string;
  /** Dataset names; default: every dataset of the organisation. */
  datasets?: string[] | undefined;
  /** Row policy params to check the SQL with (and to read sample values); without them the SQL is only guarded. */
  params?: Readonly<Record<string, unknown>> | undefined;
}

export interface GenerateQueryResponse {
  generatedSql: string;
  explanation: string;
  /** 0..1: how sure the engine is that the SQL answers the question. */
  confidence: number;
  suggestedVisualizations: ChartShorthand[];
  engine: 'offline' | 'llm';
  fallbackReason?: FallbackReason;
}

export interface AskService {
  /** Answers a viewer's question (needs the token permission `ask`). */
  ask(viewer: EmbedViewer, request: AskRequest, signal?: AbortSignal): Promise<AskResponse>;
  /** Example questions from the metadata of the viewer's datasets (hidden columns never appear). */
  suggestions(viewer: EmbedViewer, limit?: number): Promise<AskSuggestionsResponse>;
  /** SQL for an admin's question, checked by the guard (and run with `params` when given). */
  generateQuery(caller: { orgId: string; actor?: QueryActor }, input: GenerateQueryInput, signal?: AbortSignal): Promise<GenerateQueryResponse>;
}

/** Values of a text column with at most this many distinct values go into the prompt. */
const LOW_CARDINALITY = 20;
const MAX_EXAMPLES = 3;
/** The model phase of one question (first try and repairs) lasts at most this many time boxes. */
const MODEL_BUDGET_FACTOR = 2;

function requireAsk(viewer: EmbedViewer): void {
  if (!viewer.permissions.includes('ask')) throw new InsightError('ERR_FORBIDDEN', 'The token does not grant "ask"', { permission: 'ask' });
}

const normaliseQuestion = (q: string) => q.trim().replace(/\s+/g, ' ').toLowerCase();
const paramsKey = (params: Readonly<Record<string, unknown>>) => JSON.stringify(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const embedActor = (viewer: EmbedViewer): QueryActor => ({ type: 'embed', id: viewer.sub ?? viewer.keyId });

/**
 * Checks that only the asker's datasets and visible names appear, before the
 * guard proper: a dataset of the organisation outside the story is as unknown
 * to the model's SQL as a table of the database, a hidden column (the
 * policy's tenant column, say) may not be named at all, and only columns the
 * datasets publish may be read (check-columns.ts).
 */
function checkScope(sql: string, dialect: Dialect, scoped: readonly ScopedDataset[]): void {
  if (sql.includes('{{')) throw new InsightError('ERR_SQL_NOT_ALLOWED', 'Placeholders are not available; write the values into the query');
  const hidden = new Set(scoped.flatMap((d) => [...d.hidden]));
  for (const token of scanSql(sql, dialect)) {
    if (token.kind === 'string' || token.kind === 'comment') continue;
    const words = token.kind === 'identifier' ? [token.text.slice(1, -1)] : (token.text.match(/[A-Za-z_][A-Za-z0-9_$]*/g) ?? []);
    const named = words.find((w) => hidden.has(w.toLowerCase()));
    if (named) throw new InsightError('ERR_SQL_NOT_ALLOWED', `The column "${named.slice(0, 64)}" is not available`);
  }
  referencedDatasets({ sql, dialect, datasets: scoped.map((d) => d.row.name.toLowerCase()) });
  checkColumns(sql, dialect, new Map(scoped.map((d) => [d.row.name, new Set(d.ask.columns.map((c) => c.name))])));
}

/** Bounded memory of SQL the model wrote that ran: the same question over the same dataset versions and params skips the model. */
function createSqlMemo(limit: number) {
  const memo = new Map<string, { sql: string; explanation: string }>();
  return {
    get(key: string) {
      const hit = memo.get(key);
      if (hit) {
        memo.delete(key);
        memo.set(key, hit);
      }
      return hit;
    },
    set(key: string, value: { sql: string; explanation: string }) {
      if (memo.size >= limit) memo.delete(memo.keys().next().value as string);
      memo.set(key, value);
    },
    delete: (key: string) => memo.delete(key),
  };
}

export function createAskService(deps: AskServiceDeps): AskService {
  const lookups = deps.lookups ?? createValueLookups(deps.engine);
  const memo = createSqlMemo(deps.sqlCacheSize ?? 500);

  /** The model and call options for an organisation, or null when there is none or the organisation turned it off. */
  async function modelFor(orgId: string): Promise<{ llm: LlmClient; call: LlmCallOptions } | null> {
    if (!deps.llm) return null;
    if (!deps.aiSettings) return { llm: deps.llm, call: {} };
    const settings = await deps.aiSettings(orgId);
    return settings.enabled ? { llm: deps.llm, call: { model: settings.model, timeoutMs: settings.timeoutMs } } : null;
  }

  /** The datasets the model sees: those on the connection of the first one (SQL runs on one connection). */
  function modelScope(scoped: readonly ScopedDataset[]) {
    const connectionId = (scoped[0] as ScopedDataset).row.connection_id;
    return { connectionId, datasets: scoped.filter((d) => d.row.connection_id === connectionId) };
  }

  async function promptDatasets(scoped: readonly ScopedDataset[], lookup: ValueLookup): Promise<PromptDataset[]> {
    return Promise.all(
      scoped.map(async (d) => {
        const samples = new Map<string, string[]>();
        await Promise.all(
          d.ask.columns
            .filter((c) => c.type === 'string' && c.role === 'dimension')
            .map(async (c) => {
              const values = await lookup(d.row.name, c.name).catch(() => []);
              if (values.length > 0 && values.length <= LOW_CARDINALITY) samples.set(c.name, values);
            }),
        );
        return { dataset: d.ask, samples };
      }),
    );
  }

  /** Saved SQL of the organisation over these datasets only, as examples of the house style. */
  async function examples(orgId: string, connectionId: string, dialect: Dialect, scoped: readonly ScopedDataset[]): Promise<PromptExample[]> {
    const { items } = await deps.savedQueries.list(orgId, { limit: 50 });
    const out: PromptExample[] = [];
    for (const item of items) {
      if (out.length >= MAX_EXAMPLES) break;
      if (item.kind !== 'sql' || item.sql === null || item.connection_id !== connectionId) continue;
      try {
        checkScope(item.sql, dialect, scoped);
        out.push({ question: item.description ? `${item.name}: ${item.description}` : item.name, sql: item.sql });
      } catch {
        // A saved query over other datasets or hidden columns is no example for this asker.
      }
    }
    return out;
  }

  /**
   * The model's SQL for a question, checked by `run` (which runs it or only
   * guards it). Remembers SQL that worked; a remembered SQL that no longer
   * works is forgotten and the model asked again.
   */
  async function modelSql<T>(input: {
    model: { llm: LlmClient; call: LlmCallOptions };
    orgId: string;
    question: string;
    scoped: readonly ScopedDataset[];
    params: Readonly<Record<string, unknown>>;
    lookup: ValueLookup;
    run: (sql: string, connectionId: string, dialect: Dialect, scoped: readonly ScopedDataset[]) => Promise<T>;
    signal?: AbortSignal | undefined;
  }) {
    const started = Date.now();
    const { connectionId, datasets } = modelScope(input.scoped);
    const dialect = (await deps.connections.get(input.orgId, connectionId)).dialect;
    const key = JSON.stringify([input.orgId, input.model.call.model ?? '', connectionId, normaliseQuestion(input.question), datasets.map((d) => [d.row.id, d.row.version]), paramsKey(input.params)]);
    const run = (sql: string) => {
      checkScope(sql, dialect, datasets);
      return input.run(sql, connectionId, dialect, datasets);
    };
    const remembered = memo.get(key);
    if (remembered) {
      try {
        return { status: 'ok' as const, ...remembered, value: await run(remembered.sql), attempts: 0 };
      } catch {
        memo.delete(key);
      }
    }
    const [prompt, saved] = await Promise.all([promptDatasets(datasets, input.lookup), examples(input.orgId, connectionId, dialect, datasets)]);
    const messages = buildSqlPrompt({ dialect, datasets: prompt, examples: saved, question: input.question });
    const call = { ...input.model.call, ...(input.signal ? { signal: input.signal } : {}) };
    // Repairs share one budget: a viewer waits at most twice the time box for the model before the offline engine answers.
    const deadline = started + MODEL_BUDGET_FACTOR * (call.timeoutMs ?? input.model.llm.timeoutMs);
    const outcome = await writeSql({ llm: input.model.llm, messages, run, call, deadline, ...(deps.maxRepairs !== undefined ? { maxRepairs: deps.maxRepairs } : {}) });
    if (outcome.status !== 'ok') return outcome;
    // The engine's account of the SQL that ran is preferred to the model's own words about it.
    const labels = Object.fromEntries(datasets.map((d) => [d.row.name.toLowerCase(), d.row.label]));
    const explained = { ...outcome, explanation: describeSql(outcome.sql, dialect, labels) || outcome.explanation };
    memo.set(key, { sql: explained.sql, explanation: explained.explanation });
    return explained;
  }

  function datasetOf(scoped: readonly ScopedDataset[], query: StructuredQuery): ScopedDataset {
    const dataset = scoped.find((d) => d.row.name === query.dataset);
    if (!dataset) throw new InsightError('ERR_DATASET_NOT_FOUND', 'The question names a dataset that is not available');
    const visible = new Set(dataset.ask.columns.map((c) => c.name));
    const used = [...query.dimensions.map((d) => d.column), ...query.measures.flatMap((m) => (m.column ? [m.column] : [])), ...query.filters.map((f) => f.column)];
    const hidden = used.find((c) => !visible.has(c));
    if (hidden) throw new InsightError('ERR_COLUMN_UNKNOWN', 'The question names a column that is not available');
    return dataset;
  }

  const clarifyResponse = (question: string, interpretation: Extract<Interpretation, { status: 'clarify' }>, fallbackReason: FallbackReason | undefined, started: number): AskResponse => ({
    status: 'clarify',
    question,
    engine: 'offline',
    ...(fallbackReason ? { fallbackReason } : {}),
    sql: '',
    explanation: interpretation.message,
    understood: interpretation.understood,
    columns: [],
    rows: [],
    rowCount: 0,
    truncated: false,
    visualization: null,
    clarification: { message: interpretation.message, unknownWords: interpretation.unknownWords, suggestions: interpretation.suggestions },
    executionMs: Math.round(performance.now() - started),
  });

  return {
    async ask(viewer, request, signal) {
      requireAsk(viewer);
      const started = performance.now();
      const story = await deps.stories.load(viewer.orgId, viewer.story, { publishedOnly: true });
      const scoped = await viewerDatasets(deps.datasets, story, viewer, request.dataset);
      if (scoped.length === 0) throw new InsightError('ERR_QUERY_INVALID', 'The story has no data to ask about');
      const actor = embedActor(viewer);
      const lookup = lookups.forViewer({ orgId: viewer.orgId, params: viewer.params, actor }, scoped);
      const question = request.question;
      let fallbackReason: FallbackReason | undefined;

      const model = await modelFor(viewer.orgId);
      if (model) {
        const outcome = await modelSql({
          model,
          orgId: viewer.orgId,
          question,
          scoped,
          params: viewer.params,
          lookup,
          signal,
          run: async (sql, connectionId, _dialect, used) => {
            const result = await deps.engine.runSql({ orgId: viewer.orgId, connectionId, sql, params: viewer.params, actor, ...(signal ? { signal } : {}) });
            return readResult(result, new Set(used.flatMap((d) => [...d.hidden])));
          },
        });
        if (outcome.status === 'ok') {
          const data: ResultData = outcome.value;
          return {
            status: 'answered',
            question,
            engine: 'llm',
            sql: outcome.sql,
            explanation: outcome.explanation,
            understood: [],
            ...data,
            visualization: suggestVisualizations(data.columns, data.rows)[0] ?? null,
            executionMs: Math.round(performance.now() - started),
          };
        }
        fallbackReason = outcome.reason;
      }

      const interpretation = await deps.offline.interpretQuestion(question, scoped.map((d) => d.ask), { lookup });
      if (interpretation.status === 'clarify') return clarifyResponse(question, interpretation, fallbackReason, started);
      const dataset = datasetOf(scoped, interpretation.query);
      const connector = await deps.connections.get(viewer.orgId, dataset.row.connection_id);
      const result = await deps.engine.runStructured({ orgId: viewer.orgId, query: interpretation.query, params: viewer.params, actor, ...(signal ? { signal } : {}) });
      const data = readResult(result, dataset.hidden);
      return {
        status: 'answered',
        question,
        engine: 'offline',
        ...(fallbackReason ? { fallbackReason } : {}),
        sql: displaySql(interpretation.query, dataset.row, connector.dialect),
        explanation: interpretation.explanation,
        understood: interpretation.understood,
        ...data,
        visualization: interpretation.visualization,
        executionMs: Math.round(performance.now() - started),
      };
    },

    async suggestions(viewer, limit = 6) {
      requireAsk(viewer);
      const story = await deps.stories.load(viewer.orgId, viewer.story, { publishedOnly: true });
      const scoped = await viewerDatasets(deps.datasets, story, viewer);
      return { suggestions: deps.offline.suggestQuestions(scoped.map((d) => d.ask), limit) };
    },

    async generateQuery(caller, input, signal) {
      const all = await deps.datasets.list(caller.orgId);
      let rows = all;
      if (input.datasets && input.datasets.length > 0) {
        rows = input.datasets.map((name) => {
          const row = all.find((d) => d.name === name);
          if (!row) throw new InsightError('ERR_DATASET_NOT_FOUND', `No dataset is named "${name.slice(0, 64)}"`);
          return row;
        });
      }
      if (rows.length === 0) throw new InsightError('ERR_DATASET_NOT_FOUND', 'The organisation has no datasets');
      const params = input.params;
      const scoped = rows.map((row) => scopeDataset(row, params ?? {}));
      const viewerLookup = lookups.forViewer({ orgId: caller.orgId, params: params ?? {}, ...(caller.actor ? { actor: caller.actor } : {}) }, scoped);
      // Without params a dataset with a row policy has no readable values; the engines work from metadata alone.
      const lookup: ValueLookup = (dataset, column) => (params ? viewerLookup(dataset, column).catch(() => []) : Promise.resolve([]));
      let fallbackReason: FallbackReason | undefined;

      const model = await modelFor(caller.orgId);
      if (model) {
        const outcome = await modelSql({
          model,
          orgId: caller.orgId,
          question: input.question,
          scoped,
          params: params ?? {},
          lookup,
          signal,
          run: async (sql, connectionId, dialect, used): Promise<ResultData | null> => {
            if (params) {
              const result = await deps.engine.runSql({ orgId: caller.orgId, connectionId, sql, params, ...(caller.actor ? { actor: caller.actor } : {}), ...(signal ? { signal } : {}) });
              return readResult(result);
            }
            // Nothing to run with: stand-in policy values let the guard check everything but the rows.
            const standIns = Object.fromEntries(used.flatMap((d) => policyParams(d.row.row_policy)).map((name) => [name, 0]));
            const names = referencedDatasets({ sql, dialect, datasets: used.map((d) => d.row.name.toLowerCase()) });
            const sources = used.filter((d) => names.includes(d.row.name.toLowerCase()));
            guardSql({ sql, dialect, datasets: sources.map((d) => ({ name: d.row.name.toLowerCase(), source: compileDatasetSelect(d.row, { dialect, params: standIns }) })), params: standIns });
            return null;
          },
        });
        if (outcome.status === 'ok') {
          return {
            generatedSql: outcome.sql,
            explanation: outcome.explanation,
            confidence: outcome.attempts <= 1 ? 0.9 : 0.7,
            suggestedVisualizations: outcome.value ? suggestVisualizations(outcome.value.columns, outcome.value.rows) : [],
            engine: 'llm',
          };
        }
        fallbackReason = outcome.reason;
      }

      const interpretation = await deps.offline.interpretQuestion(input.question, scoped.map((d) => d.ask), { lookup });
      const fallback = fallbackReason ? { fallbackReason } : {};
      if (interpretation.status === 'clarify') {
        return { generatedSql: '', explanation: interpretation.message, confidence: 0, suggestedVisualizations: [], engine: 'offline', ...fallback };
      }
      const dataset = datasetOf(scoped, interpretation.query);
      const connector = await deps.connections.get(caller.orgId, dataset.row.connection_id);
      const unknown = interpretation.understood.length === 0 ? 0.2 : 0;
      return {
        generatedSql: displaySql(interpretation.query, dataset.row, connector.dialect),
        explanation: interpretation.explanation,
        confidence: 0.6 - unknown,
        suggestedVisualizations: interpretation.visualization ? [interpretation.visualization] : [],
        engine: 'offline',
        ...fallback,
      };
    },
  };
}
