/**
 * Compiles a structured query to SQL for one dialect with kysely. Every
 * identifier comes from the dataset's column metadata and every value is a
 * bound parameter; the dataset is read only through its policy subquery.
 */
import {
  DummyDriver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
  type Expression,
  type RawBuilder,
} from 'kysely';
import type { Dialect } from '../connectors/connector.ts';
import { resolveDatePreset } from './date-presets.ts';
import { InsightError } from '../errors/insight-error.ts';
import type { DatasetColumn } from '../store/store-schema.ts';
import { datasetSelect, datasetSource, type DatasetSourceFields } from './dataset-source.ts';
import { dimensionAlias, measureAlias, type Measure, type QueryFilter, type StructuredQuery, type TimeGrain } from './structured-query.ts';

export interface CompiledSql {
  sql: string;
  parameters: readonly unknown[];
}

export interface CompileDataset extends DatasetSourceFields {
  columns: DatasetColumn[];
}

/** Query builders that only compile (a dummy driver: nothing can execute through them). */
const builders: Record<Dialect, Kysely<any>> = {
  postgres: new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  }),
  mysql: new Kysely<any>({
    dialect: {
      createAdapter: () => new MysqlAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new MysqlIntrospector(db),
      createQueryCompiler: () => new MysqlQueryCompiler(),
    },
  }),
};

export function compilerFor(dialect: Dialect): Kysely<any> {
  return builders[dialect];
}

/** PostgreSQL quoting with `?` placeholders: the form the SQL guard splices policy subqueries in. */
class QuestionMarkPostgresCompiler extends PostgresQueryCompiler {
  protected override getCurrentParameterPlaceholder(): string {
    return '?';
  }
}

const questionMarkBuilders: Record<Dialect, Kysely<any>> = {
  postgres: new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new QuestionMarkPostgresCompiler(),
    },
  }),
  mysql: builders.mysql,
};

/**
 * A dataset's policy SELECT for the SQL guard: dialect quoting, `?`
 * placeholders, bound values. It reads only the declared columns, so SQL over
 * the dataset (`select *` included) can never reach a column of the source
 * that the dataset does not publish.
 */
export function compileDatasetSelect(dataset: CompileDataset, context: CompileContext): CompiledSql {
  const columns = dataset.columns.map((c) => c.name);
  const compiled = datasetSelect(dataset, context.params, { dialect: context.dialect, columns }).compile(questionMarkBuilders[context.dialect]);
  return { sql: compiled.sql, parameters: compiled.parameters };
}

function timeBucket(dialect: Dialect, grain: TimeGrain, column: RawBuilder<unknown>): RawBuilder<unknown> {
  if (dialect === 'postgres') return sql`cast(date_trunc(${sql.lit(grain)}, ${column}) as date)`;
  switch (grain) {
    case 'day':
      return sql`cast(${column} as date)`;
    case 'week':
      return sql`cast(date_sub(cast(${column} as date), interval weekday(${column}) day) as date)`;
    case 'month':
      return sql`cast(date_format(${column}, '%Y-%m-01') as date)`;
    case 'quarter':
      return sql`cast(makedate(year(${column}), 1) + interval (quarter(${column}) - 1) quarter as date)`;
    case 'year':
      return sql`cast(date_format(${column}, '%Y-01-01') as date)`;
  }
}

function aggregate(measure: Measure, ref: (name: string) => RawBuilder<unknown>): RawBuilder<unknown> {
  if (measure.agg === 'count') return measure.column ? sql`count(${ref(measure.column)})` : sql`count(*)`;
  if (!measure.column) throw new InsightError('ERR_QUERY_INVALID', `The aggregate "${measure.agg}" needs a column`);
  const column = ref(measure.column);
  switch (measure.agg) {
    case 'count_distinct':
      return sql`count(distinct ${column})`;
    case 'sum':
      return sql`sum(${column})`;
    case 'avg':
      return sql`avg(${column})`;
    case 'min':
      return sql`min(${column})`;
    case 'max':
      return sql`max(${column})`;
  }
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

function condition(filter: QueryFilter, column: RawBuilder<unknown>): RawBuilder<unknown> {
  switch (filter.op) {
    case 'eq':
      return sql`${column} = ${filter.value}`;
    case 'neq':
      return sql`${column} <> ${filter.value}`;
    case 'gt':
      return sql`${column} > ${filter.value}`;
    case 'gte':
      return sql`${column} >= ${filter.value}`;
    case 'lt':
      return sql`${column} < ${filter.value}`;
    case 'lte':
      return sql`${column} <= ${filter.value}`;
    case 'between':
      return sql`${column} between ${filter.value[0]} and ${filter.value[1]}`;
    case 'in':
      return sql`${column} in (${sql.join(filter.value)})`;
    case 'not_in':
      return sql`${column} not in (${sql.join(filter.value)})`;
    case 'contains':
      return sql`lower(${column}) like lower(${'%' + escapeLike(String(filter.value)) + '%'})`;
    case 'starts_with':
      return sql`lower(${column}) like lower(${escapeLike(String(filter.value)) + '%'})`;
    case 'is_null':
      return sql`${column} is null`;
    case 'not_null':
      return sql`${column} is not null`;
    case 'relative_date': {
      const range = resolveDatePreset(filter.value);
      return sql`${column} between ${range.from} and ${range.to}`;
    }
  }
}

export interface CompileContext {
  dialect: Dialect;
  /** The viewer's locked parameters (from the embed token), for the row policy. */
  params: Readonly<Record<string, unknown>>;
}

/**
 * @example
 * compileStructuredQuery(
 *   { dataset: 'sales', dimensions: [{ column: 'category' }], measures: [{ agg: 'sum', column: 'revenue', as: 'revenue' }], filters: [], sort: [] },
 *   salesDataset,
 *   { dialect: 'postgres', params: { tenant_id: 1 } },
 * ) // { sql: 'select "ds"."category" as "category", sum("ds"."revenue") as "revenue" from (select * from "sales_facts" where tenant_id = $1) as "ds" group by ...', parameters: [1] }
 */
export function compileStructuredQuery(query: StructuredQuery, dataset: CompileDataset, context: CompileContext): CompiledSql {
  const known = new Set(dataset.columns.map((c) => c.name));
  const ref = (name: string) => {
    if (!known.has(name)) throw new InsightError('ERR_COLUMN_UNKNOWN', `The dataset has no column "${name}"`, { column: name });
    return sql`${sql.ref(`ds.${name}`)}`;
  };

  const selections: Array<{ alias: string; expression: RawBuilder<unknown> }> = [];
  const groupBy: RawBuilder<unknown>[] = [];
  for (const dimension of query.dimensions) {
    const expression = dimension.grain ? timeBucket(context.dialect, dimension.grain, ref(dimension.column)) : ref(dimension.column);
    selections.push({ alias: dimensionAlias(dimension), expression });
    groupBy.push(expression);
  }
  for (const measure of query.measures) selections.push({ alias: measureAlias(measure), expression: aggregate(measure, ref) });
  if (selections.length === 0) {
    for (const column of dataset.columns) selections.push({ alias: column.name, expression: ref(column.name) });
  }
  const aliases = new Set<string>();
  for (const s of selections) {
    if (aliases.has(s.alias)) throw new InsightError('ERR_QUERY_INVALID', `Two output columns are named "${s.alias}"`);
    aliases.add(s.alias);
  }

  let builder = compilerFor(context.dialect)
    .selectFrom(datasetSource(dataset, context.params, { dialect: context.dialect }).as('ds'))
    .select(selections.map((s) => s.expression.as(s.alias)));
  for (const filter of query.filters) builder = builder.where(condition(filter, ref(filter.column)) as Expression<any>);
  if (groupBy.length > 0 && query.measures.length > 0) builder = builder.groupBy(groupBy);
  for (const order of query.sort) {
    if (!aliases.has(order.field)) throw new InsightError('ERR_COLUMN_UNKNOWN', `Sorting by "${order.field}", which the query does not return`, { column: order.field });
    builder = builder.orderBy(sql.ref(order.field), order.direction);
  }
  if (query.limit !== undefined) builder = builder.limit(query.limit);
  const compiled = builder.compile();
  return { sql: compiled.sql, parameters: compiled.parameters };
}
