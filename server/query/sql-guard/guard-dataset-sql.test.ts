import { describe, expect, it } from 'vitest';
import type { Dialect } from '../../connectors/connector.ts';
import { assertDatasetSqlAllowed, guardPolicySql, guardSourceSql } from './guard-dataset-sql.ts';

const codeOf = (check: () => unknown): string | undefined => {
  try {
    check();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('guardSourceSql', () => {
  it.each<[Dialect, string]>([
    ['postgres', 'select o.id, o.tenant_id, c.region from orders o join customers c on c.id = o.customer_id'],
    ['postgres', 'select * from analytics.orders'],
    ['postgres', "with t as (select id, date_trunc('month', placed_at) as m from orders) select * from t"],
    ['postgres', 'select id from orders -- trailing comment\n'],
    ['mysql', 'select o.*, year(o.placed_at) as y from shop.orders o'],
    ['mysql', "select id, case when id % 2 = 0 then 'West' else 'East' end as region from orders"],
  ])('accepts on %s: %s', (dialect, sql) => {
    expect(codeOf(() => guardSourceSql(sql, dialect))).toBeUndefined();
  });

  it.each<[Dialect, string, string]>([
    ['postgres', "select pg_read_file('/etc/passwd') as x", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['postgres', "select lo_import('/etc/passwd') as x", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['postgres', "select current_setting('data_directory') as x from orders", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['postgres', "select set_config('role', 'postgres', false) as x", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['postgres', 'select pg_catalog.lower(name) as x from orders', 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['postgres', 'select * from pg_shadow', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['postgres', 'select * from pg_stat_activity', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['postgres', 'select * from "pg_catalog"."pg_authid"', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['postgres', 'select * from information_schema.columns', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['postgres', 'select * from orders where exists (select 1 from pg_roles)', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['postgres', 'select * from orders where id = $1', 'ERR_SQL_NOT_ALLOWED'],
    ['postgres', 'select * from orders where id = {{id}}', 'ERR_SQL_NOT_ALLOWED'],
    ['postgres', 'select * from orders; select 1', 'ERR_SQL_NOT_ALLOWED'],
    ['postgres', 'select * from orders;', 'ERR_SQL_NOT_ALLOWED'],
    ['postgres', 'select * from orders -- hides the closing parenthesis', 'ERR_SQL_NOT_ALLOWED'],
    ['mysql', 'select * from orders for update', 'ERR_SQL_NOT_ALLOWED'],
    ['postgres', 'delete from orders', 'ERR_SQL_NOT_ALLOWED'],
    ['mysql', "select load_file('/etc/passwd') as x", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['mysql', 'select benchmark(1000000000, md5(1)) as x', 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['mysql', 'select * from mysql.user', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['mysql', 'select * from performance_schema.threads', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['mysql', 'select * from sys.processlist', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['mysql', 'select * from orders where id = ?', 'ERR_SQL_NOT_ALLOWED'],
    ['mysql', 'select @@datadir as x', 'ERR_SQL_NOT_ALLOWED'],
    ['mysql', 'select * from orders /*!50000 union select * from mysql.user */', 'ERR_SQL_NOT_ALLOWED'],
  ])('refuses on %s: %s (%s)', (dialect, sql, code) => {
    expect(codeOf(() => guardSourceSql(sql, dialect))).toBe(code);
  });
});

describe('guardPolicySql', () => {
  it('returns the placeholders of a condition over the rows', () => {
    expect(guardPolicySql("tenant_id = {{tenant_id}} and region in ('West', {{region}})", 'postgres').placeholders).toEqual(['tenant_id', 'region']);
  });

  it.each<[string, string]>([
    ['tenant_id = {{t}} and pg_sleep(1) is not null', 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['tenant_id in (select tenant_id from pg_user)', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['tenant_id = {{t}}) or (1 = 1', 'ERR_SQL_NOT_ALLOWED'],
    ['tenant_id = $1', 'ERR_SQL_NOT_ALLOWED'],
  ])('refuses %s', (policy, code) => {
    expect(codeOf(() => guardPolicySql(policy, 'postgres'))).toBe(code);
  });
});

describe('assertDatasetSqlAllowed', () => {
  it('refuses a stored source or policy with the guard code, every time, and passes a sound one', () => {
    const stored = { source_sql: "select lo_import('/etc/hostname') as id", row_policy: null };
    expect(codeOf(() => assertDatasetSqlAllowed(stored, 'postgres'))).toBe('ERR_SQL_FUNCTION_NOT_ALLOWED');
    expect(codeOf(() => assertDatasetSqlAllowed(stored, 'postgres'))).toBe('ERR_SQL_FUNCTION_NOT_ALLOWED');
    expect(codeOf(() => assertDatasetSqlAllowed({ source_sql: null, row_policy: 'tenant_id = {{t}} or exists (select 1 from pg_authid)' }, 'postgres'))).toBe('ERR_SQL_TABLE_NOT_ALLOWED');
    expect(codeOf(() => assertDatasetSqlAllowed({ source_sql: 'select id, tenant_id from orders', row_policy: 'tenant_id = {{t}}' }, 'mysql'))).toBeUndefined();
  });
});
