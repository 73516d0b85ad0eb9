import { describe, expect, it } from 'vitest';
import { InsightError } from '../errors/insight-error.ts';
import { examinedRows, NO_ESTIMATE, planRows } from './explain-estimate.ts';

describe('planRows', () => {
  it('reads Plan Rows of the top node, parsed or as text', () => {
    expect(planRows([{ Plan: { 'Node Type': 'Aggregate', 'Plan Rows': 3.4, Plans: [{ 'Plan Rows': 40 }] } }])).toBe(3);
    expect(planRows('[{"Plan": {"Node Type": "Seq Scan", "Plan Rows": 40}}]')).toBe(40);
  });

  it('refuses a document without an estimate with a reason callers can fall back on', () => {
    for (const plan of [undefined, [], [{}], [{ Plan: { 'Plan Rows': 'many' } }]]) {
      expect(() => planRows(plan)).toThrow(InsightError);
      try {
        planRows(plan);
      } catch (error) {
        expect((error as InsightError).extensions).toEqual({ reason: NO_ESTIMATE });
      }
    }
  });
});

describe('examinedRows', () => {
  // Documents as MariaDB 10.11 prints them for the connector's `SELECT * FROM (...) AS explained`.
  const mariadbJoin = {
    query_block: {
      select_id: 1,
      nested_loop: [
        { table: { table_name: 'o', access_type: 'ref', rows: 2, filtered: 100 } },
        { 'block-nl-join': { table: { table_name: 'c', access_type: 'ALL', rows: 2, filtered: 50 }, join_type: 'BNL' } },
      ],
    },
  };
  const mariadbGrouped = {
    query_block: {
      select_id: 1,
      nested_loop: [{ table: { table_name: '<derived2>', rows: 60, filtered: 100, materialized: { query_block: { select_id: 2, filesort: { temporary_table: { nested_loop: [{ table: { table_name: 'orders', rows: 60, filtered: 100 } }] } } } } } }],
    },
  };
  // MySQL 8 names the per-scan estimate differently and wraps ordering.
  const mysql8 = {
    query_block: {
      select_id: 1,
      ordering_operation: { using_filesort: true, table: { table_name: 'orders', access_type: 'ALL', rows_examined_per_scan: 40, rows_produced_per_join: 4, filtered: '10.00' } },
    },
  };
  const union = {
    query_block: {
      union_result: {
        query_specifications: [
          { query_block: { select_id: 1, table: { table_name: 'a', rows: 10, filtered: 100 } } },
          { query_block: { select_id: 2, table: { table_name: 'b', rows: 5, filtered: 100 } } },
        ],
      },
    },
  };

  it('multiplies the joined tables, reads wrappers and sums a UNION', () => {
    expect(examinedRows(JSON.stringify(mariadbJoin))).toBe(2);
    expect(examinedRows(mariadbGrouped)).toBe(60);
    expect(examinedRows(mysql8)).toBe(4);
    expect(examinedRows(union)).toBe(15);
    expect(examinedRows({ query_block: { select_id: 1, table: { message: 'No tables used' } } })).toBe(0);
  });

  it('refuses a document it cannot read', () => {
    expect(() => examinedRows('{}')).toThrow(InsightError);
    expect(() => examinedRows({ query_block: { select_id: 1, nested_loop: [{ table: { table_name: 'x' } }] } })).toThrow(InsightError);
  });
});
