import type { Usage } from "../../schema/index.js";
import { withTotal } from "../adapter.js";

/**
 * What the stream and the session-file parsers of Gemini CLI share: token arithmetic, the
 * shell tool's result text, keys, and the small defensive readers every field goes through
 * (the files are written by another program; nothing in them is trusted to have its type).
 */

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A token count as the schema takes it: a non-negative integer, else nothing. */
export function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.trunc(v) : 0;
}

// The writer rejects a whole batch whose timestamp the schema refuses, so a record's own time is
// used only when it has the shape the schema accepts (date, time with seconds, offset).
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

export function iso(v: unknown): string | undefined {
  return typeof v === "string" && ISO.test(v) && !Number.isNaN(Date.parse(v)) ? v : undefined;
}

export function ms(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * One API call's tokens (`gemini.tokens` in the session file, i.e. the response's usageMetadata)
 * in awl's buckets. Gemini's `input` (promptTokenCount) includes `cached`; `output`
 * (candidatesTokenCount) excludes `thoughts`; `tool` (toolUsePromptTokenCount, the prompt of
 * Google's built-in tools such as search grounding) is NOT part of `input`: the API's
 * totalTokenCount = prompt + candidates + toolUsePrompt + thoughts. So `tool` is added to the
 * uncached input, and the sum of the buckets equals Gemini's own `tokens.total`. Checked on every
 * record of the real and public fixtures (`tool` was 0 in all of them, so that one term rests on
 * the API's definition, not on a capture).
 */
export function recordUsage(tokens: unknown): Usage | undefined {
  if (!isObj(tokens)) return undefined;
  const cached = count(tokens["cached"]);
  const usage = withTotal({
    input: Math.max(0, count(tokens["input"]) - cached) + count(tokens["tool"]),
    cache_read: cached,
    output: count(tokens["output"]),
    reasoning: count(tokens["thoughts"]),
  });
  return usage.total_tokens === 0 ? undefined : usage;
}

/** A tool call's outcome as read from its result text. */
export interface ShellOutcome {
  exitCode?: number;
  signal?: string;
}

const TRAILER = /^(?:Signal|Background PIDs|Process Group PGID): /;

/**
 * The exit code of a `run_shell_command` result, from its trailing metadata block. Gemini CLI
 * 0.61 writes `Exit Code: N` only for a non-zero exit, followed by `Signal:`/`Background PIDs:`/
 * `Process Group PGID:` lines; older versions always wrote `Exit Code: 0|N|(none)`. Only a line
 * in that trailer counts, so a command that itself prints "Exit Code: 1" is not misread.
 */
export function shellOutcome(text: string): ShellOutcome {
  if (!text.includes("Exit Code: ") && !text.includes("Signal: ")) return {};
  const lines = text.split("\n");
  let i = lines.length - 1;
  while (i >= 0 && /^\s*(?:<\/untrusted_context>)?\s*$/.test(lines[i]!)) i--;
  const out: ShellOutcome = {};
  for (; i >= 0; i--) {
    const line = lines[i]!;
    if (line.startsWith("Signal: ")) {
      const s = line.slice(8).trim();
      if (s !== "(none)" && s !== "") out.signal = s;
    } else if (line.startsWith("Exit Code: ")) {
      const m = /^Exit Code: (-?\d+)\s*$/.exec(line);
      if (m) out.exitCode = Number(m[1]);
      break;
    } else if (!TRAILER.test(line)) {
      break;
    }
  }
  return out;
}

/**
 * The part of a shell result worth an error message: the command's own output without the
 * `<untrusted_context>` wrapper and the metadata lines (exit code, PGID), which the template
 * would mask anyway and which differ between the stream's display text and the file's.
 */
export function shellMessage(text: string): string {
  let t = text.replace(/^\s*<untrusted_context>\s*\n?/, "").replace(/\n?\s*<\/untrusted_context>\s*$/, "");
  // Before 0.2x the result listed Stdout and Stderr apart; stderr is where a failure speaks.
  const old = /^Command: [^\n]*\nDirectory: [^\n]*\n(?:Output|Stdout): ([\s\S]*?)\n(?:Stderr: ([\s\S]*?)\n)?Error: ([\s\S]*?)\nExit Code: /.exec(t);
  if (old) {
    const parts = [old[2], old[1], old[3]].filter((p): p is string => p !== undefined && p.trim() !== "" && p.trim() !== "(empty)" && p.trim() !== "(none)");
    return parts[0]?.trim() ?? "";
  }
  const lines = t.split("\n");
  while (lines.length > 0 && (TRAILER.test(lines[lines.length - 1]!) || /^Exit Code: /.test(lines[lines.length - 1]!) || lines[lines.length - 1]!.trim() === "")) lines.pop();
  t = lines.join("\n");
  if (t.startsWith("Output: ")) t = t.slice(8);
  t = t.trim();
  return t === "(empty)" ? "" : t;
}

const MESSAGE_MAX = 4000;

/** Keeps an error message bounded: head and tail, where a failing command says the most. */
export function boundMessage(text: string): string {
  if (text.length <= MESSAGE_MAX) return text;
  const half = MESSAGE_MAX / 2;
  return `${text.slice(0, half)}\n…\n${text.slice(-half)}`;
}

const GRPC_STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNKNOWN: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/**
 * The HTTP status an API error message names: the `"code":NNN` of the error JSON Gemini CLI
 * embeds, an explicit "status NNN", else the Google status name (UNAVAILABLE → 503,
 * INVALID_ARGUMENT → 400, INTERNAL → 500, …). "[API Error: The model is overloaded…]" names
 * none and gets none: the 503 behind it is only on stderr and in the exit code (503 mod 256).
 */
export function httpStatus(message: string): number | undefined {
  const code = /"code"\s*:\s*(\d{3})\b/.exec(message) ?? /\bstatus(?: code)?:?\s+(\d{3})\b/i.exec(message) ?? /\bAPI Error:?\s*\(?(\d{3})\b/.exec(message);
  if (code) return Number(code[1]);
  const name = /\b(INVALID_ARGUMENT|FAILED_PRECONDITION|OUT_OF_RANGE|UNAUTHENTICATED|PERMISSION_DENIED|NOT_FOUND|ABORTED|ALREADY_EXISTS|RESOURCE_EXHAUSTED|CANCELLED|INTERNAL|DATA_LOSS|UNIMPLEMENTED|NOT_IMPLEMENTED|UNAVAILABLE|DEADLINE_EXCEEDED)\b/.exec(message);
  return name ? GRPC_STATUS[name[1]!] : undefined;
}

/**
 * Keys. A tool call's id is the same on stdout (`tool_id`) and in the session file
 * (`toolCalls[].id`), so its three events key on it alike in both sources. Text keys on the
 * session record's `id`; stdout has no record ids, so its stream-only events key on the session
 * id and their order, stable across re-imports of the same capture.
 */
export const keys = {
  call: (id: string) => `${id}:call`,
  result: (id: string) => `${id}:result`,
  toolError: (id: string) => `${id}:error`,
  record: (recordId: string, what: string) => `${recordId}:${what}`,
  stream: (sessionId: string | undefined, what: string, n: number) => `${sessionId ?? "gemini"}:stream:${what}:${n}`,
};

/** The main model of a set of per-model token totals: the one that used the most (a router's side call uses few). */
export function mainModel(totals: Map<string, number>): string | undefined {
  let best: string | undefined;
  let most = -1;
  for (const [model, n] of totals) {
    if (n > most) {
      best = model;
      most = n;
    }
  }
  return best;
}
