/**
 * The one error fingerprint of awl. Capture, the writer, the live detectors and analytics all
 * call this, so the same failure gets the same name wherever it is seen.
 */
import { createHash } from "node:crypto";
import type { ErrorCategory } from "../schema/vocabulary.js";
import { type ErrorRule, RULES } from "./rules.js";
import { normalizeLine, type PreparedMessage, prepareMessage } from "./template.js";

export interface FingerprintOptions {
  /** The stack trace kept apart from the message, if the source reports one. */
  readonly stackTrace?: string;
}

export interface Fingerprint {
  /** A stable snake_case name for known failures, else `tmpl_` + 12 hex of sha256(template). */
  readonly fingerprint: string;
  readonly category: ErrorCategory;
  /** The normalized message, for grouping and display. */
  readonly template: string;
  /** True when a named rule matched; false for template-grouped failures. */
  readonly known: boolean;
}

export interface Hit {
  readonly rule: ErrorRule;
  readonly code: string | undefined;
}

/**
 * Literals (lowercased) one of which occurs in any text the regex `source` matches, or
 * undefined when that cannot be said. Conservative by construction: whatever it does not
 * understand makes the rule run on every message, it never makes one skip a message.
 */
export function requiredLiterals(source: string): string[] | undefined {
  const out: string[] = [];
  for (const alt of splitTopLevel(source)) {
    const lits = alternativeLiterals(alt);
    if (lits === undefined) return undefined;
    out.push(...lits);
  }
  return out.length > 0 ? out : undefined;
}

function splitTopLevel(source: string): string[] {
  const alts: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) {
      alts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  alts.push(source.slice(start));
  return alts;
}

/** Index just past the group or class that opens at `open`, or -1. */
function closeOf(source: string, open: number): number {
  if (source[open] === "[") {
    for (let i = open + 1; i < source.length; i++) {
      if (source[i] === "\\") i++;
      else if (source[i] === "]") return i + 1;
    }
    return -1;
  }
  let depth = 0;
  let inClass = false;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  return -1;
}

/** Index just past a quantifier at `i` (none: `i`). */
function skipQuantifier(source: string, i: number): number {
  const c = source[i];
  let j = i;
  if (c === "?" || c === "*" || c === "+") j = i + 1;
  else if (c === "{") {
    const close = source.indexOf("}", i);
    if (close > i && /^\{\d*,?\d*\}$/.test(source.slice(i, close + 1))) j = close + 1;
  }
  return j > i && source[j] === "?" ? j + 1 : j;
}

const CLASS_ESCAPES = new Set([..."dDwWsSbBnrtfv0123456789cxukpP"]);

/** Index just past the escape that starts at `i` (a backslash), whatever its length. */
function escapeEnd(source: string, i: number): number {
  const n = source[i + 1];
  if (n === "x") return i + 4;
  if (n === "c") return i + 3;
  if (n === "u") return source[i + 2] === "{" ? source.indexOf("}", i) + 1 || source.length : i + 6;
  if (n === "k" || n === "p" || n === "P") {
    const close = source.indexOf(n === "k" ? ">" : "}", i);
    return close < 0 ? source.length : close + 1;
  }
  let j = i + 2;
  if (n !== undefined && n >= "0" && n <= "9") while (j < source.length && source[j]! >= "0" && source[j]! <= "9") j++;
  return j;
}
const META = new Set([...".[](){}*+?|^$"]);

/**
 * Within one alternative every top-level literal run must appear in a match; the longest
 * run is the most selective. An alternative made of a single group defers to the group.
 */
function alternativeLiterals(alt: string): string[] | undefined {
  let best = "";
  let run = "";
  let firstGroup: string | undefined;
  const endRun = (): void => {
    if (run.length > best.length) best = run;
    run = "";
  };
  let i = 0;
  while (i < alt.length) {
    const c = alt[i]!;
    if (c === "(" || c === "[") {
      endRun();
      const end = closeOf(alt, i);
      if (end < 0) return undefined;
      const after = skipQuantifier(alt, end);
      const optional = after > end && alt[end] !== "+";
      if (c === "(" && firstGroup === undefined && !optional && !/^\(\?<?[=!]/.test(alt.slice(i, i + 4))) {
        firstGroup = alt.slice(i, end - 1).replace(/^\((?:\?:|\?<[A-Za-z]\w*>)?/, "");
      }
      i = after;
      continue;
    }
    let ch: string | undefined;
    let next = i + 1;
    if (c === "\\") {
      const n = alt[i + 1];
      if (n === undefined) return undefined;
      next = escapeEnd(alt, i);
      if (!CLASS_ESCAPES.has(n)) ch = n;
    } else if (!META.has(c)) {
      ch = c;
    }
    const after = skipQuantifier(alt, next);
    if (ch === undefined) {
      endRun();
    } else if (after === next) {
      run += ch;
    } else if (alt[next] === "+") {
      run += ch;
      endRun();
    } else {
      endRun();
    }
    i = after;
  }
  endRun();
  if (best.length >= 3) return [best.toLowerCase()];
  if (firstGroup !== undefined) {
    const inner = requiredLiterals(firstGroup);
    if (inner !== undefined) return inner;
  }
  return best.length >= 2 ? [best.toLowerCase()] : undefined;
}

interface GateEntry {
  readonly lit: string;
  readonly rules: readonly number[];
}

interface Bucket {
  /** Rules admitted by a two-character literal. */
  readonly pairs: number[];
  /** Longer literals by their third character. */
  readonly byThird: (GateEntry[] | undefined)[];
}

interface Gate {
  /** Buckets by the first two (ASCII) characters: `table[first * 128 + second]`. */
  readonly table: readonly (Bucket | undefined)[];
  /** Rules that must always run (test functions, regexes without a usable literal). */
  readonly always: Uint8Array;
}

const isAscii = (lit: string): boolean => /^[\x00-\x7f]{2,}$/.test(lit.slice(0, 3));

function buildGate(rules: readonly ErrorRule[]): Gate {
  const always = new Uint8Array(rules.length);
  const byLit = new Map<string, number[]>();
  rules.forEach((rule, index) => {
    const lits = typeof rule.match === "function" ? undefined : requiredLiterals(rule.match.source);
    if (lits === undefined || !lits.every(isAscii)) {
      always[index] = 1;
      return;
    }
    for (const lit of lits) {
      const list = byLit.get(lit) ?? [];
      list.push(index);
      byLit.set(lit, list);
    }
  });
  // Filled up front so the arrays stay packed: lookups in them are on the hot path.
  const table = new Array<Bucket | undefined>(128 * 128).fill(undefined);
  for (const [lit, list] of byLit) {
    const slot = lit.charCodeAt(0) * 128 + lit.charCodeAt(1);
    let bucket = table[slot];
    if (bucket === undefined) {
      bucket = { pairs: [], byThird: new Array<GateEntry[] | undefined>(128).fill(undefined) };
      table[slot] = bucket;
    }
    if (lit.length === 2) {
      bucket.pairs.push(...list);
      continue;
    }
    const third = lit.charCodeAt(2);
    const entries = bucket.byThird[third] ?? [];
    entries.push({ lit, rules: list });
    bucket.byThird[third] = entries;
  }
  return { table, always };
}

// Built on the first fingerprint, not when the module loads: most runs of awl fingerprint nothing.
let gate: Gate | undefined;

/** Which rules could match `text`: one pass over it instead of one pass per rule. */
export function admitted(text: string): Uint8Array {
  gate ??= buildGate(RULES);
  const admit = gate.always.slice();
  const lower = text.toLowerCase();
  const table = gate.table;
  const last = lower.length - 1;
  let code = lower.charCodeAt(0);
  for (let i = 0; i < last; i++) {
    const next = lower.charCodeAt(i + 1);
    if ((code | next) < 128) {
      const bucket = table[code * 128 + next];
      if (bucket !== undefined) {
        for (const r of bucket.pairs) admit[r] = 1;
        const third = lower.charCodeAt(i + 2);
        const entries = third < 128 ? bucket.byThird[third] : undefined;
        if (entries !== undefined) {
          for (const { lit, rules } of entries) {
            if (lit.length === 3 || lower.startsWith(lit, i)) for (const r of rules) admit[r] = 1;
          }
        }
      }
    }
    code = next;
  }
  return admit;
}

/** The first rule matching `text`. `gate: false` runs every regex (tests check both agree). */
export function firstMatchingRule(text: string, gate = true): Hit | undefined {
  if (text === "") return undefined;
  const admit = gate ? admitted(text) : undefined;
  for (let index = 0; index < RULES.length; index++) {
    if (admit !== undefined && admit[index] === 0) continue;
    const rule = RULES[index]!;
    if (typeof rule.match === "function") {
      if (rule.match(text)) return { rule, code: undefined };
      continue;
    }
    const m = rule.match.exec(text);
    if (m !== null) return { rule, code: m.groups?.["code"] };
  }
  return undefined;
}

/** Template ids are part of the stored data: the hash input and length must never change. */
export function templateFingerprint(template: string): string {
  return `tmpl_${createHash("sha256").update(template).digest("hex").slice(0, 12)}`;
}

function ruleName(hit: Hit): string {
  if (hit.code === undefined) return hit.rule.id;
  return `${hit.rule.id}_${hit.code.toLowerCase().replace(/[^a-z0-9]+/g, "_")}`;
}

function compute(message: string, stackTrace: string): Fingerprint {
  let prepared: PreparedMessage = prepareMessage(message);
  let stack: PreparedMessage | undefined;
  if (stackTrace !== "") {
    stack = prepareMessage(stackTrace);
    if (prepared.headline === "") {
      prepared = stack;
      stack = undefined;
    } else if (stack.headline.length > prepared.headline.length && stack.headline.includes(prepared.headline)) {
      // A stack's first line is "TypeError: <message>": the exception type keeps unrelated
      // exceptions with the same wording apart.
      prepared = { headline: stack.headline, scan: `${stack.headline}\n${prepared.scan}` };
    }
  }
  const template = normalizeLine(prepared.headline);
  // The headline decides first; the rest of the output only when the headline says nothing known.
  const hit =
    firstMatchingRule(prepared.headline) ??
    (prepared.scan !== prepared.headline ? firstMatchingRule(prepared.scan) : undefined) ??
    (stack !== undefined ? firstMatchingRule(stack.scan) : undefined);
  if (hit !== undefined && hit.rule.group === undefined) {
    return { fingerprint: ruleName(hit), category: hit.rule.category, template, known: true };
  }
  return {
    fingerprint: templateFingerprint(template),
    category: hit?.rule.category ?? "unknown",
    template,
    known: false,
  };
}

const EMPTY_TEMPLATE_ID = templateFingerprint("");

/**
 * Fingerprints one error. Never throws, whatever the input (empty, megabytes, binary):
 * only a bounded head and tail of the message are examined.
 */
export function fingerprint(message: string, opts?: FingerprintOptions): Fingerprint {
  try {
    const msg = typeof message === "string" ? message : String(message ?? "");
    const stack = typeof opts?.stackTrace === "string" ? opts.stackTrace : "";
    return compute(msg, stack);
  } catch {
    return { fingerprint: EMPTY_TEMPLATE_ID, category: "unknown", template: "", known: false };
  }
}
