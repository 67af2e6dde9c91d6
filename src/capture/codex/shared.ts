import type { ErrorSource, Usage } from "../../schema/index.js";
import { withTotal } from "../adapter.js";

/** A parsed JSON object; Codex records are read field by field, never trusted to have a shape. */
export type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function int(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : undefined;
}

/** One JSON object from a line, or undefined for anything else (blank, torn, not JSON, an array). */
export function parseObject(text: string): Obj | undefined {
  const t = text.trim();
  if (t.length < 2 || t.charCodeAt(0) !== 123 /* { */) return undefined;
  try {
    return obj(JSON.parse(t));
  } catch {
    return undefined;
  }
}

/**
 * OpenAI usage (`input_tokens` includes the cached and cache-written input, `output_tokens`
 * includes reasoning) in awl's buckets, each token once: the buckets add up to Codex's own
 * `total_tokens` (input + output). A field Codex does not report counts as 0.
 */
export function openAiUsage(u: unknown): Usage | undefined {
  const o = obj(u);
  if (!o) return undefined;
  const input = count(o.input_tokens);
  const cached = count(o.cached_input_tokens);
  const written = count(o.cache_write_input_tokens);
  const output = count(o.output_tokens);
  const reasoning = count(o.reasoning_output_tokens);
  return withTotal({
    input: Math.max(0, input - cached - written),
    cache_read: cached,
    cache_creation: written,
    output: Math.max(0, output - reasoning),
    reasoning,
  });
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.trunc(v) : 0;
}

/** The raw OpenAI fields summed, so conversion happens once on the total. */
export type RawUsage = Record<"input_tokens" | "cached_input_tokens" | "cache_write_input_tokens" | "output_tokens" | "reasoning_output_tokens", number>;

export function emptyRawUsage(): RawUsage {
  return { input_tokens: 0, cached_input_tokens: 0, cache_write_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0 };
}

export function addRawUsage(sum: RawUsage, u: unknown): void {
  const o = obj(u);
  if (!o) return;
  for (const k of Object.keys(sum) as (keyof RawUsage)[]) sum[k] += count(o[k]);
}

const SHELL_WRAPPER = /^(?:\S*\/)?(?:bash|zsh|sh|dash|ksh|fish)(?:\.exe)?\s+-l?c\s+([\s\S]+)$/;

/**
 * The command inside Codex's shell wrapper (`/bin/bash -lc 'git push'` → `git push`), so two runs
 * of one command compare equal whatever shell ran them; undefined when the string is no wrapper.
 */
export function unwrapShell(command: string): string | undefined {
  const m = SHELL_WRAPPER.exec(command.trim());
  return m ? shellWord(m[1]!.trim()) : undefined;
}

/** The single POSIX shell word `s` spells (quotes and escapes undone), or undefined if it is not one word. */
function shellWord(s: string): string | undefined {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) return undefined;
      out += s.slice(i + 1, j);
      i = j + 1;
    } else if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === "\\" && i + 1 < s.length && '$`"\\\n'.includes(s[i + 1]!)) i++;
        out += s[i];
        i++;
      }
      if (i >= s.length) return undefined;
      i++;
    } else if (c === "\\") {
      if (i + 1 >= s.length) return undefined;
      out += s[i + 1];
      i += 2;
    } else if (c === " " || c === "\t" || c === "\n") {
      return undefined;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** An argv of a shell wrapper (`["bash","-lc","ls"]`) as its command line, else the argv joined. */
export function argvCommand(argv: unknown): string | undefined {
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === "string")) return undefined;
  const a = argv as string[];
  if (a.length === 3 && /^(?:\S*\/)?(?:bash|zsh|sh|dash|ksh|fish)(?:\.exe)?$/.test(a[0]!) && /^-l?c$/.test(a[1]!)) return a[2];
  return a.join(" ");
}

/** API-side failures: the provider, the network to it, or the limits it enforces. */
const API_ERROR =
  /unexpected status|status(?: code)? \d{3}\b|\b(?:4\d\d|5\d\d) [A-Z][a-z]+|stream disconnected|stream error|high demand|overloaded|rate.?limit|too many requests|quota|usage limit|server error|request id|https?:\/\/|connection|timed? ?out|reconnecting|retry limit|unauthori[sz]ed|api key|context window|context_length/i;

export function errorSourceOf(message: string): ErrorSource {
  return API_ERROR.test(message) ? "api" : "agent";
}

export function httpStatusOf(message: string): number | undefined {
  const m = /(?:unexpected status|status(?: code)?:?|http(?:_status_code)?:?)\s*(\d{3})\b/i.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** Text of at most `max` characters, keeping both ends (the cause is often at the end of a log). */
export function clip(text: string, max = 8000): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 3) / 2);
  return `${text.slice(0, half)}\n…\n${text.slice(-half)}`;
}
