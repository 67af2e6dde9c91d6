/**
 * Secret redaction, run by every awl writer before a byte reaches disk.
 *
 * Cost model: almost every line is clean, so the common path is the prefilter over the
 * serialized line (`mayContainSecret`, about as dear as the JSON.stringify that made the
 * line). Only a line that may hold a secret is walked; in it, each string is tested by the
 * same prefilter, and a rule's own regex runs only where the rule's keywords occur.
 */
import {
  AUTHORIZATION_FIELD_RULE,
  FOREIGN_ESCAPE_PREFILTER,
  isSecretName,
  looksLikeCredential,
  looksLikeSecretValue,
  type PrefilterTerm,
  RULES,
  type RedactRule,
  SECRET_FIELD_RULE,
  secretKind,
  shannonEntropy,
} from "./redact-rules.js";

export interface RedactionHit {
  rule: string;
  count: number;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/**
 * The line prefilter: two regexes built from every rule's terms. Each holds for both a
 * decoded string and its JSON serialization (see redact-rules.ts), so the pair gates a
 * whole line and each string inside it.
 *
 * V8 scans quickly only while the possible first characters of a pattern are few; an
 * alternation of sixty keywords starting with most letters of the alphabet takes ~7 µs on
 * a 500-byte line. So terms start at punctuation (`_ - . : = \`), terms sharing an anchor
 * share one alternative, and their prefixes share one lookbehind: `ghp_` and `gho_` become
 * `_(?<=(?:ghp|gho)_)`. The few terms that must start with a letter go into a second,
 * case-sensitive regex.
 */
function buildPrefilter(rules: readonly RedactRule[]): { punct: RegExp; exact: RegExp; all: RegExp[][] } {
  const groups = new Map<string, { literals: Set<string>; behind: Set<string>; other: Set<string> }>();
  const exact = new Set<string>();
  const all: RegExp[][] = [];
  const group = (at: string) => {
    let g = groups.get(at);
    if (g === undefined) {
      g = { literals: new Set<string>(), behind: new Set<string>(), other: new Set<string>() };
      groups.set(at, g);
    }
    return g;
  };
  const add = (term: PrefilterTerm): void => {
    if ("exact" in term) {
      exact.add(term.exact);
      return;
    }
    if ("all" in term) {
      all.push(term.all.map((source) => new RegExp(source)));
      return;
    }
    const g = group(term.at);
    if (term.ahead === undefined) {
      if (term.behind === undefined) throw new Error(`prefilter term at "${term.at}" matches every "${term.at}"`);
      g.behind.add(term.behind);
    } else if (term.behind === undefined) g.other.add(term.ahead);
    // A literal forward part goes first (it usually fails at once, and a lookbehind is the
    // dearer step); a class (`[\w-]{20}`) would run on every anchor, so then the lookbehind.
    else if (/^(?:[a-z0-9]|\\[^dswDSW])/i.test(term.ahead))
      g.other.add(`${term.ahead}(?<=(?:${term.behind})${escapeRegex(term.at)}(?:${term.ahead}))`);
    else g.other.add(`(?<=(?:${term.behind})${escapeRegex(term.at)})${term.ahead}`);
  };
  for (const rule of rules) {
    if (rule.prefilter !== undefined) {
      for (const term of rule.prefilter) add(term);
      continue;
    }
    for (const k of rule.keywords) {
      // A keyword ending in punctuation (`ghp_`) is anchored there and shares the group's
      // lookbehind; otherwise at its first punctuation, for the longest literal after it.
      const last = k.length - 1;
      const at = /[_\-.:]$/.test(k) ? last : k.search(/[_\-.:]/);
      if (at < 0) throw new Error(`rule ${rule.id}: keyword "${k}" has no punctuation; give the rule a prefilter`);
      const anchor = k.charAt(at);
      if (at === last && at > 0) group(anchor).literals.add(k.slice(0, at));
      else
        add({
          at: anchor as "_",
          ...(at > 0 ? { behind: escapeRegex(k.slice(0, at)) } : {}),
          ...(at < k.length - 1 ? { ahead: escapeRegex(k.slice(at + 1)) } : {}),
        });
    }
  }
  add(FOREIGN_ESCAPE_PREFILTER);
  const alternatives = [...groups].map(([at, g]) => {
    const a = escapeRegex(at);
    const behind = [...g.behind];
    if (g.literals.size > 0) behind.unshift(suffixTrie([...g.literals]));
    const alts = [...g.other];
    if (behind.length > 0) alts.unshift(`(?<=(?:${behind.join("|")})${a})`);
    return `${a}(?:${alts.join("|")})`;
  });
  const never = "(?!)"; // an empty alternation would match everything
  return {
    punct: new RegExp(alternatives.join("|") || never, "i"),
    exact: new RegExp([...exact].join("|") || never),
    all,
  };
}

/**
 * An alternation of literals with common endings factored out (`gh(?:p|o)` style, but from
 * the right), the order a lookbehind compares in: one test of the last character rejects
 * every word that does not end in it.
 */
function suffixTrie(words: readonly string[]): string {
  const byLast = new Map<string, string[]>();
  let empty = false;
  for (const w of words) {
    if (w === "") {
      empty = true;
      continue;
    }
    const last = w.charAt(w.length - 1).toLowerCase();
    byLast.set(last, [...(byLast.get(last) ?? []), w.slice(0, -1)]);
  }
  const alts = [...byLast].map(([c, rest]) => suffixTrie(rest) + escapeRegex(c));
  if (alts.length === 0) return "";
  const body = alts.length === 1 && !empty ? (alts[0] ?? "") : `(?:${alts.join("|")})`;
  return empty ? `(?:${body})?` : body;
}

const PREFILTER = buildPrefilter(RULES);

function prefilterTest(s: string): boolean {
  return PREFILTER.punct.test(s) || PREFILTER.exact.test(s) || PREFILTER.all.some((parts) => parts.every((r) => r.test(s)));
}

/**
 * Cheap test over an already-serialized JSON line: false means no rule of `redactValue`
 * (string rules or secret-named keys) can fire on the value the line encodes. Holds for
 * JSON.stringify output and for serializers that also escape `/` or printable ASCII as
 * `\u00XX`, which send the line down the slow path.
 */
export function mayContainSecret(serializedJsonLine: string): boolean {
  return prefilterTest(serializedJsonLine);
}

/** Redacts every secret in `s`; returns `s` itself when nothing matched. */
export function redactString(s: string): string {
  return redactStringCounting(s, undefined);
}

function redactStringCounting(s: string, hits: Map<string, number> | undefined): string {
  if (!prefilterTest(s)) return s;
  let out = s;
  let present = keywordsIn(s.toLowerCase());
  for (const rule of RULES) {
    if (!rule.keywords.some((k) => present.has(k))) continue;
    const next = applyRule(rule, out, hits);
    if (next !== out) {
      out = next;
      present = keywordsIn(out.toLowerCase());
    }
  }
  return out;
}

// Which rule keywords a (lower-cased) string holds, in one regex pass instead of an
// `includes` scan per keyword: on long tool output that was most of the redactor's time.
const KEYWORDS = [...new Set(RULES.flatMap((r) => r.keywords))].sort((a, b) => b.length - a.length);
const KEYWORD_SCAN = new RegExp(KEYWORDS.map(escapeRegex).join("|"), "g");
// A match reports the longest keyword at its position; the shorter ones it starts with are there too.
const KEYWORD_PREFIXES = new Map(KEYWORDS.map((k) => [k, KEYWORDS.filter((o) => o !== k && k.startsWith(o))]));

function keywordsIn(lower: string): Set<string> {
  const found = new Set<string>();
  KEYWORD_SCAN.lastIndex = 0;
  for (let m = KEYWORD_SCAN.exec(lower); m !== null; m = KEYWORD_SCAN.exec(lower)) {
    found.add(m[0]);
    for (const p of KEYWORD_PREFIXES.get(m[0]) ?? []) found.add(p);
    KEYWORD_SCAN.lastIndex = m.index + 1; // overlapping keywords start at later positions
  }
  return found;
}

function marker(id: string): string {
  return `[REDACTED:${id}]`;
}

function applyRule(rule: RedactRule, s: string, hits: Map<string, number> | undefined): string {
  const regex = rule.regex;
  regex.lastIndex = 0;
  let out = "";
  let last = 0;
  let count = 0;
  for (let m = regex.exec(s); m !== null; m = regex.exec(s)) {
    if (m[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    const span = secretSpan(rule, m);
    if (span === undefined) continue;
    const secret = s.slice(span[0], span[1]);
    if (secret.includes("[REDACTED:")) continue;
    if (rule.entropy !== undefined && shannonEntropy(secret) < rule.entropy) continue;
    if (rule.validate !== undefined && !rule.validate(secret, m, s)) continue;
    out += s.slice(last, span[0]) + marker(rule.id);
    last = span[1];
    count++;
  }
  if (count === 0) return s;
  if (hits !== undefined) hits.set(rule.id, (hits.get(rule.id) ?? 0) + count);
  return out + s.slice(last);
}

function secretSpan(rule: RedactRule, m: RegExpExecArray): [number, number] | undefined {
  if (rule.secretGroup === undefined) return [m.index, m.index + m[0].length];
  const indices = m.indices;
  if (indices === undefined) throw new Error(`rule ${rule.id} has a secretGroup but no d flag`);
  for (let g = rule.secretGroup; g < indices.length; g++) {
    const span = indices[g];
    if (span !== undefined && span[1] > span[0]) return span;
  }
  return undefined;
}

/**
 * A string sitting under a secret-named key (`api_key`, `password`, `Authorization`, …):
 * the name says "secret", so the value only has to look like one (not code, a reference,
 * or a placeholder). An auth scheme in front of it is kept.
 */
function redactSecretField(key: string, value: string, hits: Map<string, number> | undefined): string {
  if (value.includes("[REDACTED:")) return value;
  const isAuth = /authorization$/i.test(key);
  const rule = isAuth ? AUTHORIZATION_FIELD_RULE : SECRET_FIELD_RULE;
  const scheme = /^([A-Za-z][\w-]*)[ \t]+(\S+)$/.exec(value);
  if (scheme !== null && isAuth) {
    const credential = scheme[2] ?? "";
    const basic = scheme[1]?.toLowerCase() === "basic";
    if (credential.length < 8 || !(basic ? looksLikeCredential(credential) : looksLikeSecretValue(credential, "token"))) return value;
    count(hits, rule);
    return `${scheme[1]} ${marker(rule)}`;
  }
  if (!looksLikeSecretValue(value, isAuth ? "token" : secretKind(key))) return value;
  count(hits, rule);
  return marker(rule);
}

function count(hits: Map<string, number> | undefined, rule: string): void {
  if (hits !== undefined) hits.set(rule, (hits.get(rule) ?? 0) + 1);
}

/**
 * Deep redaction of strings at any depth, plus string values under secret-named keys.
 * Returns the same reference when nothing changed, and copies only the path to a change.
 * Keys, numbers and booleans are kept. Objects serialize through `toJSON` (Date, …) or
 * their own enumerable properties, so those are what is inspected; a changed object comes
 * back as a plain object, which serializes the same way.
 */
export function redactValue<T>(value: T): T {
  return walk(value, undefined) as T;
}

/** Like `redactValue`, also counting redactions per rule (for a writer's statistics). */
export function redactValueWithHits<T>(value: T): { value: T; hits: RedactionHit[] } {
  const hits = new Map<string, number>();
  const out = walk(value, hits) as T;
  return { value: out, hits: [...hits].map(([rule, n]) => ({ rule, count: n })) };
}

function walk(v: unknown, hits: Map<string, number> | undefined): unknown {
  if (typeof v === "string") return redactStringCounting(v, hits);
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const next = walk(item, hits);
      if (next !== item) {
        out ??= v.slice();
        out[i] = next;
      }
    }
    return out ?? v;
  }
  if (ArrayBuffer.isView(v)) return v;
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    const json: unknown = toJSON.call(v);
    const next = walk(json, hits);
    return next === json ? v : next;
  }
  const obj = v as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(obj);
  for (const key of keys) {
    const item = obj[key];
    let next = walk(item, hits);
    if (next === item && typeof item === "string" && isSecretName(key)) next = redactSecretField(key, item, hits);
    if (next !== item) {
      out ??= { ...obj };
      define(out, key, next);
    }
  }
  // A key is text too (`awl emit --field <secret>=1`, an agent's map keyed by token): one cheap
  // test of them all, and each only if that passes.
  if (prefilterTest(keys.join("\n"))) {
    const shown = keys.map((k) => redactStringCounting(k, hits));
    if (shown.some((k, i) => k !== keys[i])) return renameKeys(keys, shown, out ?? obj);
  }
  return out ?? v;
}

/** The object again under its keys as `shown` (redacted), in the same order; two that redact alike stay apart (`#2`). */
function renameKeys(keys: readonly string[], shown: readonly string[], obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  keys.forEach((key, i) => {
    const base = shown[i] ?? key;
    let name = base;
    for (let n = 2; Object.hasOwn(out, name); n++) name = `${base}#${n}`;
    define(out, name, obj[key]);
  });
  return out;
}

/** Defined, not assigned: a `__proto__` key from JSON.parse must stay a plain property. */
function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Redacts one serialized JSON line (a trailing newline is kept). A clean line comes back
 * unchanged without being parsed. A line that is not valid JSON is redacted as raw text:
 * it still reaches disk, so it must not carry a secret either.
 */
export function redactJsonLine(line: string): string {
  if (!prefilterTest(line)) return line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return redactString(line);
  }
  let redacted: unknown;
  try {
    redacted = redactValue(parsed);
  } catch {
    // Nesting deeper than the stack: fall back to the text rules on the raw line.
    return redactString(line);
  }
  if (redacted === parsed) return line;
  const trailing = line.slice(line.trimEnd().length);
  return JSON.stringify(redacted) + trailing;
}
