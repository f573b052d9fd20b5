/**
 * Names of case schemas. A case id is free text (`work-queue#3`, a fast-check path), so it never
 * reaches SQL as such: the schema name is derived from it — a readable slug, a hash of the whole id
 * (ids differing only in dropped characters stay apart) and a random suffix (a replayed case gets a
 * fresh schema, never a leftover) — and only names of exactly that shape are accepted back.
 */
import { createHash, randomBytes } from 'node:crypto';

const SLUG_MAX = 32;
const UNIQUE = /^[a-z0-9]{6}$/;
/** `bp_<slug>_<hash>_<unique>`: at most 51 characters, within PostgreSQL's 63. */
export const CASE_SCHEMA_PATTERN = /^bp_[a-z0-9](?:[a-z0-9_]{0,30}[a-z0-9])?_[0-9a-f]{8}_[a-z0-9]{6}$/;

/** Six random characters of [a-z0-9]. */
export function uniqueSuffix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The schema name for a case: `bp_work_queue_3_1a2b3c4d_x7k2p9`. */
export function caseSchemaName(caseId: string, unique: string = uniqueSuffix()): string {
  if (!UNIQUE.test(unique))
    throw new RangeError(`the unique suffix must be 6 of [a-z0-9], got ${JSON.stringify(unique)}`);
  const slug =
    caseId
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+/, '')
      .slice(0, SLUG_MAX)
      .replace(/_+$/, '') || 'case';
  const hash = createHash('sha256').update(caseId).digest('hex').slice(0, 8);
  return `bp_${slug}_${hash}_${unique}`;
}

export function isCaseSchemaName(name: string): boolean {
  return CASE_SCHEMA_PATTERN.test(name);
}

/** A quoted SQL identifier (`"a""b"`): every identifier goes into SQL this way, even checked ones. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0'))
    throw new RangeError('an identifier must be non-empty text without NUL');
  return `"${name.replace(/"/g, '""')}"`;
}
