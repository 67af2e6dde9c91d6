import { readFileSync, utimesSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The demo's bundled sessions: the project's own copies of real Claude Code, Codex CLI and
 * Gemini CLI transcripts (demo/transcripts/, shipped in the npm package; SOURCES.md there
 * names where each came from). They were recorded on one evening; the demo stages copies
 * with every time shifted so the sessions end over the last few days, the last one a minute
 * ago: `--days` filters, the time series and "recent" lists then show them like fresh work.
 */

/** From src/cli/demo/ and dist/cli/demo/ alike, the package root is three folders up. */
export const TRANSCRIPTS_DIR = fileURLToPath(new URL("../../../demo/transcripts/", import.meta.url));

export const DEMO_AGENTS = ["claude", "codex", "gemini"] as const;
export const DEMO_SCENARIOS = ["success", "error_loop", "api_error"] as const;
/** The files of one session: the CLI's own session file and its printed JSON stream. */
export const DEMO_KINDS = ["session", "stdout"] as const;

export interface DemoSession {
  agent: (typeof DEMO_AGENTS)[number];
  scenario: (typeof DEMO_SCENARIOS)[number];
  /** How long before now the shifted session ends. */
  endsAgoMs: number;
}

const H = 3_600_000;

/** Spread over three days so a daily time series has three points; the loops are the most recent work. */
export const DEMO_SESSIONS: readonly DemoSession[] = [
  { agent: "claude", scenario: "success", endsAgoMs: 52 * H },
  { agent: "codex", scenario: "success", endsAgoMs: 50 * H },
  { agent: "gemini", scenario: "success", endsAgoMs: 28 * H },
  { agent: "claude", scenario: "api_error", endsAgoMs: 27 * H },
  { agent: "codex", scenario: "api_error", endsAgoMs: 26 * H },
  { agent: "gemini", scenario: "api_error", endsAgoMs: 5 * H },
  { agent: "gemini", scenario: "error_loop", endsAgoMs: 2 * H },
  { agent: "codex", scenario: "error_loop", endsAgoMs: 0.5 * H },
  { agent: "claude", scenario: "error_loop", endsAgoMs: 60_000 },
];

/** The bundled files the demo reads, relative to the package root (a test checks they ship). */
export function demoFiles(): string[] {
  return DEMO_SESSIONS.flatMap((s) => DEMO_KINDS.map((k) => `demo/transcripts/${s.agent}/${s.scenario}.${k}.jsonl`));
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Visits every time in a JSON value: ISO strings, and epoch numbers under `…_at` (seconds) or `…_at_ms` keys. */
function mapTimes(value: unknown, f: (ms: number) => number, key = ""): unknown {
  if (typeof value === "string") {
    if (!ISO_TIME.test(value)) return value;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? value : new Date(f(ms)).toISOString();
  }
  if (typeof value === "number") {
    if (key.endsWith("_at_ms") && value > 1e12) return f(value);
    if (key.endsWith("_at") && value > 1e9 && value < 1e11) return Math.round(f(value * 1000) / 1000);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => mapTimes(v, f));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapTimes(v, f, k);
    return out;
  }
  return value;
}

/** One JSONL line with every time moved by `deltaMs`; a line that is not JSON is kept as it is. */
export function shiftLine(line: string, deltaMs: number): string {
  if (line.trim() === "") return line;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return line;
  }
  return JSON.stringify(mapTimes(value, (ms) => ms + deltaMs));
}

/** The latest time named anywhere in the lines, or undefined when they name none. */
export function latestTime(lines: readonly string[]): number | undefined {
  let latest: number | undefined;
  for (const line of lines) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    mapTimes(value, (ms) => {
      if (latest === undefined || ms > latest) latest = ms;
      return ms;
    });
  }
  return latest;
}

/**
 * Writes time-shifted copies of the bundled transcripts into `dir` (one folder per agent) and
 * returns the paths to import. A file that names no time (Codex's `exec --json` stream) is
 * dated by its last write on import, so each copy's modification time is its session's new end.
 */
export function stageTranscripts(dir: string, now: number, source = TRANSCRIPTS_DIR): string[] {
  const out: string[] = [];
  for (const s of DEMO_SESSIONS) {
    const files = DEMO_KINDS.map((k) => {
      const name = `${s.scenario}.${k}.jsonl`;
      let text: string;
      try {
        text = readFileSync(join(source, s.agent, name), "utf8");
      } catch (err) {
        throw new Error(`the demo's bundled transcript ${s.agent}/${name} is missing from ${source} (${(err as NodeJS.ErrnoException).code ?? "unreadable"}): reinstall awl`);
      }
      return { name, lines: text.split("\n") };
    });
    const end = latestTime(files.flatMap((f) => f.lines));
    if (end === undefined) throw new Error(`the demo's bundled transcript ${s.agent}/${s.scenario} names no time`);
    const newEnd = now - s.endsAgoMs;
    const delta = newEnd - end;
    mkdirSync(join(dir, s.agent), { recursive: true });
    for (const f of files) {
      const path = join(dir, s.agent, f.name);
      writeFileSync(path, f.lines.map((l) => shiftLine(l, delta)).join("\n"));
      utimesSync(path, newEnd / 1000, newEnd / 1000);
      out.push(path);
    }
  }
  return out;
}
