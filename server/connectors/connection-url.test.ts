import { describe, expect, it } from 'vitest';
import { InsightError } from '../errors/insight-error.ts';
import { parseConnectionUrl } from './connection-url.ts';

function validationError(url: string): InsightError {
  try {
    parseConnectionUrl(url);
  } catch (error) {
    expect(error).toBeInstanceOf(InsightError);
    expect((error as InsightError).code).toBe('ERR_VALIDATION');
    return error as InsightError;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe('parseConnectionUrl', () => {
  it('parses postgres and postgresql URLs with defaults', () => {
    expect(parseConnectionUrl('postgres://postgres@127.0.0.1:5432/test')).toEqual({
      type: 'postgres',
      host: '127.0.0.1',
      port: 5432,
      database: 'test',
      user: 'postgres',
      password: undefined,
    });
    expect(parseConnectionUrl('postgresql://reader:pw@db.example.com/shop')).toEqual({
      type: 'postgres',
      host: 'db.example.com',
      port: 5432,
      database: 'shop',
      user: 'reader',
      password: 'pw',
    });
  });

  it('parses mysql and mariadb URLs as the mysql type', () => {
    expect(parseConnectionUrl('mysql://root@127.0.0.1/test')).toEqual({
      type: 'mysql',
      host: '127.0.0.1',
      port: 3306,
      database: 'test',
      user: 'root',
      password: undefined,
    });
    expect(parseConnectionUrl('mariadb://app:secret@maria.internal:3307/sales')).toMatchObject({ type: 'mysql', port: 3307, password: 'secret' });
  });

  it('decodes percent-encoded credentials and database names', () => {
    expect(parseConnectionUrl('postgres://us%40er:p%40ss%2Fw%3Ard@h/my%20db')).toMatchObject({
      user: 'us@er',
      password: 'p@ss/w:rd',
      database: 'my db',
    });
  });

  it('accepts an IPv6 literal without its brackets', () => {
    expect(parseConnectionUrl('postgres://u@[::1]:6543/d')).toMatchObject({ host: '::1', port: 6543 });
  });

  it('reads sslmode for postgres', () => {
    expect(parseConnectionUrl('postgres://u@h/d?sslmode=require').ssl).toBe(true);
    expect(parseConnectionUrl('postgres://u@h/d?sslmode=verify-full').ssl).toBe(true);
    expect(parseConnectionUrl('postgres://u@h/d?sslmode=disable').ssl).toBe(false);
    expect(parseConnectionUrl('postgres://u@h/d?ssl=true').ssl).toBe(true);
  });

  it('refuses parameters it would otherwise ignore', () => {
    validationError('postgres://u@h/d?sslmode=prefer');
    validationError('postgres://u@h/d?application_name=x');
    validationError('mysql://u@h/d?ssl=true');
  });

  it('refuses other schemes, missing parts and malformed values', () => {
    for (const url of [
      'not a url',
      'http://u@h/d',
      'sqlite:///tmp/x.db',
      'postgres://u@h',
      'postgres://u@h/',
      'postgres://u@h/a/b',
      'postgres://h/d',
      'postgres://u@h1,h2/d',
      'postgres://u@h:0/d',
      'postgres://u@h:70000/d',
      'postgres://u:%E0%A4%A@h/d',
    ]) {
      validationError(url);
    }
  });

  it('never quotes the password back in an error', () => {
    const error = validationError('postgres://u:hunter2-secret@h1,h2/d');
    expect(error.message).not.toContain('hunter2-secret');
    expect(JSON.stringify(error.extensions ?? {})).not.toContain('hunter2-secret');
  });
});
