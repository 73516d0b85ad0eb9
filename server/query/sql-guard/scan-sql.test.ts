import { describe, expect, it } from 'vitest';
import { isInsightError } from '../../errors/insight-error.ts';
import { prepareSql } from './prepare-sql.ts';
import { bindSource } from './regenerate.ts';
import { scanSql } from './scan-sql.ts';

const kinds = (text: string, dialect: 'postgres' | 'mysql') => scanSql(text, dialect).map((t) => `${t.kind}:${t.text}`);

describe('scanSql', () => {
  it('knows PostgreSQL strings, identifiers, dollar quotes and comments', () => {
    expect(kinds(`select 'a''?', "b""?", $x$ ? $x$, E'\\'?' -- ?\n/* ? */ ?`, 'postgres')).toEqual([
      'code:select ', "string:'a''?'", 'code:, ', 'identifier:"b""?"', 'code:, ', 'string:$x$ ? $x$', 'code:, E',
      "string:'\\'?'", 'code: ', 'comment:-- ?', 'code:\n', 'comment:/* ? */', 'code: ?',
    ]);
  });

  it('knows MySQL backslash escapes, backticks, # comments and that -- needs a space', () => {
    expect(kinds("select 'a\\'b', `c``d`, \"e\" # x\n1--1 -- y", 'mysql')).toEqual([
      'code:select ', "string:'a\\'b'", 'code:, ', 'identifier:`c``d`', 'code:, ', 'string:"e"', 'code: ', 'comment:# x',
      'code:\n1--1 ', 'comment:-- y',
    ]);
  });

  it('does not read $1 or a$b as dollar quotes', () => {
    expect(kinds('select $1, a$b$ from t', 'postgres')).toEqual(['code:select $1, a$b$ from t']);
  });

  it('refuses unterminated text', () => {
    for (const text of ["select 'x", 'select "x', 'select /* x', 'select $a$ x']) {
      expect(() => scanSql(text, 'postgres')).toThrow(expect.objectContaining({ code: 'ERR_SQL_PARSE' }));
    }
  });
});

describe('prepareSql', () => {
  it('replaces placeholders in code only and strips comments', () => {
    const prepared = prepareSql("select {{a}}, {{ b }}, {{a}} -- {{c}}\nfrom t /* {{d}} */ where x = 'y';", 'postgres');
    expect(prepared.placeholders).toEqual(['a', 'b', 'a']);
    expect(prepared.text).toBe("select  :__insight_p_0 ,  :__insight_p_1 ,  :__insight_p_2   \nfrom t   where x = 'y'");
  });

  it('remembers quoted identifiers (PostgreSQL alias folding)', () => {
    expect([...prepareSql('select 1 as "Total", 2 as Other', 'postgres').quotedIdentifiers]).toEqual(['Total']);
  });

  it('refuses a second statement even after comments', () => {
    const code = (() => {
      try {
        prepareSql('select 1; /* x */ select 2', 'mysql');
      } catch (error) {
        return isInsightError(error) ? error.code : 'other';
      }
      return 'accepted';
    })();
    expect(code).toBe('ERR_SQL_NOT_ALLOWED');
  });
});

describe('bindSource', () => {
  it('renumbers ? outside literals for PostgreSQL and keeps them for MySQL', () => {
    const source = { sql: `select * from t where a = ? and b = '?' and "c?" = ? and d = $q$?$q$`, parameters: [1, 2] };
    expect(bindSource(source, 'postgres', 3)).toBe(`select * from t where a = $3 and b = '?' and "c?" = $4 and d = $q$?$q$`);
    expect(bindSource({ sql: "select * from t where a = ? and b = '\\'?'", parameters: [1] }, 'mysql', 1)).toBe("select * from t where a = ? and b = '\\'?'");
  });

  it('refuses a source whose placeholders do not match its parameters', () => {
    expect(() => bindSource({ sql: 'select * from t where a = ?', parameters: [] }, 'postgres', 1)).toThrow(expect.objectContaining({ code: 'ERR_INTERNAL' }));
  });
});
