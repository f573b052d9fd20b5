/**
 * The HTML report's markup kit: every value goes through the `html` tag and is escaped unless it is
 * already `Html`, plus the small formatting helpers the sections share.
 */
import type { Validity } from '../checker/check.ts';

// ---------------------------------------------------------------------------------------------
// Escaping. All markup goes through the `html` tag: interpolated values are escaped unless they
// are already `Html`, so data can only become markup by passing through `escapeHtml`.

/** Markup that is already safe to emit. Only `html` and `raw` create it. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** The one escaping function: safe in text and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function interpolate(value: Interpolation): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(interpolate).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  for (let k = 0; k < values.length; k++) out += interpolate(values[k]!) + strings[k + 1]!;
  return new Html(out);
}

/** For the report's own constants only (stylesheet, script, fixed attributes); never for data. */
export const raw = (constant: string) => new Html(constant);

// ---------------------------------------------------------------------------------------------
// Attribute values derived from data.

/**
 * Fragment ids from case ids, kept readable and stable across runs. Every character outside
 * [A-Za-z0-9-] (including `_`) becomes `_<hex>_`, so distinct case ids give distinct anchors.
 */
export function anchorFor(caseId: string): string {
  return `case-${caseId.replace(/[^A-Za-z0-9-]/gu, (c) => `_${c.codePointAt(0)!.toString(16)}_`)}`;
}

/**
 * A relative href for a file path: each segment percent-encoded, so a path can never become a
 * scheme (`javascript:`) or a network location (`//host`).
 */
export function relativeHref(path: string): string {
  const segments = path
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map(encodeURIComponent);
  return segments.join('/') || '.';
}

// ---------------------------------------------------------------------------------------------
// Small formatting helpers.

export type VerdictWord = 'holds' | 'violated' | 'unknown';

export function verdictOf(valid: Validity): VerdictWord {
  return valid === true ? 'holds' : valid === false ? 'violated' : 'unknown';
}

const VERDICT_SYMBOL: Readonly<Record<VerdictWord, string>> = { holds: '✓', violated: '✗', unknown: '?' };

export function verdictBadge(valid: Validity): Html {
  const word = verdictOf(valid);
  return html`<span class="badge v-${word}">${VERDICT_SYMBOL[word]} ${word}</span>`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

/** History times are microseconds; people read milliseconds. */
export function microsToMs(t: number): string {
  return `${(t / 1000).toFixed(3)} ms`;
}

/** A value as a reader wants to see it: plain words bare, anything else as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w.:@/+-]+$/u.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
