import { describe, expect, it } from 'vitest';
import { redactConnectionString } from '../../core/brokers.ts';
import { StoreQueryError, StoreUnavailableError, toStoreError } from '../../stores/errors.ts';
import { isStoreUnavailable } from '../../stores/postgres-store.ts';
import { caseSchemaName, isCaseSchemaName, quoteIdent } from '../../stores/schema-name.ts';

describe('case schema names', () => {
  it('derive a readable, safe identifier from any case id', () => {
    expect(caseSchemaName('work-queue#3', 'abc123')).toMatch(/^bp_work_queue_3_[0-9a-f]{8}_abc123$/);
    for (const id of [
      'work-queue#3',
      'Robert"); DROP SCHEMA public CASCADE;--',
      '',
      '###',
      'ünïcødé café',
      'x'.repeat(500),
      '"',
      'a\0b',
    ]) {
      const name = caseSchemaName(id);
      expect(isCaseSchemaName(name), `${JSON.stringify(id)} → ${name}`).toBe(true);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(caseSchemaName('###', 'aaaaaa')).toMatch(/^bp_case_/);
    expect(caseSchemaName('café', 'aaaaaa')).toMatch(/^bp_cafe_/);
  });

  it('keep ids apart that differ only in dropped characters, and each call is unique', () => {
    expect(caseSchemaName('a-b', 'aaaaaa')).not.toBe(caseSchemaName('a_b', 'aaaaaa'));
    expect(caseSchemaName('a-b', 'aaaaaa')).toBe(caseSchemaName('a-b', 'aaaaaa'));
    expect(caseSchemaName('a-b')).not.toBe(caseSchemaName('a-b'));
    expect(() => caseSchemaName('a', 'UPPER!')).toThrow(RangeError);
  });

  it('accept back only names of that shape', () => {
    for (const name of [
      'public',
      'bp_x',
      'bp_a_12345678_abc12',
      'BP_A_12345678_ABC123',
      'bp_a_12345678_abc123; drop',
      'bp__12345678_abc123',
    ])
      expect(isCaseSchemaName(name), name).toBe(false);
    expect(isCaseSchemaName('bp_a_12345678_abc123')).toBe(true);
  });

  it('quote identifiers', () => {
    expect(quoteIdent('plain')).toBe('"plain"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(() => quoteIdent('')).toThrow(RangeError);
  });
});

describe('store errors', () => {
  it('a lost connection is unavailable, a SQL error is definite, anything else passes through', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' });
    expect(toStoreError(refused, 'connect', 'x')).toBeInstanceOf(StoreUnavailableError);
    expect(isStoreUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isStoreUnavailable(new Error('Query read timeout'))).toBe(true);
    expect(isStoreUnavailable(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(
      true,
    );
    const unique = Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'seen_pkey' });
    const mapped = toStoreError(unique, 'statement', 'x');
    expect(mapped).toBeInstanceOf(StoreQueryError);
    expect(mapped).toMatchObject({ code: '23505', constraint: 'seen_pkey', cause: unique });
    expect(isStoreUnavailable(mapped)).toBe(false);
    const bug = new TypeError('not a store error');
    expect(toStoreError(bug, 'statement', 'x')).toBe(bug);
  });

  it('say whether the outcome is unknown', () => {
    const at = (stage: 'connect' | 'transaction' | 'statement' | 'commit') =>
      new StoreUnavailableError('x', { stage }).outcomeUnknown;
    expect([at('connect'), at('transaction'), at('statement'), at('commit')]).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });
});

describe('connection strings in logs', () => {
  it('never show the password', () => {
    expect(redactConnectionString('postgres://app:s3cret@db:5432/x?sslpassword=p')).toBe(
      'postgres://app:***@db:5432/x?sslpassword=***',
    );
    expect(redactConnectionString('postgres://brokerproof@127.0.0.1:5433/brokerproof')).toBe(
      'postgres://brokerproof@127.0.0.1:5433/brokerproof',
    );
    expect(redactConnectionString('not a url with s3cret')).not.toContain('s3cret');
  });
});
