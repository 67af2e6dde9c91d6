import { createHash } from "node:crypto";
import type { AwlEvent } from "../../schema/index.js";
import { type AttemptState, type DetectorOptions, push, type Sink, type ToolCallMark } from "./types.js";

/**
 * tool_loop: an agent calling the same tool over and over within a minute (event time).
 * Not every repetition is a loop, so calls are weighed:
 * - the same tool with the same (normalized) arguments as another call in the window: 1;
 * - the same tool with different arguments (reading many files, grepping for new words): 0.1,
 *   so only a runaway of ~10× the threshold counts;
 * - waiting and polling (sleep, reading a background shell, checking a long build): 0;
 * - an A-B-A-B alternation of two different calls (edit, run, the same edit, the same run):
 *   every call of the run counts 1 toward the pair.
 * The alert fires when a tool's (or a pair's) weight reaches `toolLoopThreshold`.
 */

export const DISTINCT_CALL_WEIGHT = 0.1;

/** Tools whose whole purpose is waiting for or reading the output of something running. */
const WAIT_TOOLS = new Set(["bashoutput", "taskoutput", "agentoutputtool", "sleep", "wait", "await", "write_stdin", "read_background_output", "check_background_process", "get_job_output"]);

/** Shell commands that wait or poll something long-running. */
const POLL_COMMAND =
  /^\s*(?:sleep\b|wait\b|timeout\s+\d+\s+sleep\b|tail\s+-[fn]|gh\s+(?:run\s+(?:watch|view|list)|pr\s+checks)|kubectl\s+(?:rollout\s+status|get)\b|docker\s+(?:ps|logs)\b|ps\b|pgrep\b|jobs\b|watch\b)|(?:^|[;&|]\s*)sleep\s+\d/;

const SHELL_ARG_KEYS = ["command", "cmd", "script"];
const COSMETIC_KEYS = new Set(["description", "timeout", "timeout_ms", "raw_command", "explanation", "justification", "yield_time_ms", "max_output_tokens"]);

function commandOf(params: unknown): string | undefined {
  if (!params || typeof params !== "object") return typeof params === "string" ? params : undefined;
  for (const k of SHELL_ARG_KEYS) {
    const v = (params as Record<string, unknown>)[k];
    if (typeof v === "string") return v;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return (v as string[]).join(" ");
  }
  return undefined;
}

export function isWaiting(tool: string, params: unknown): boolean {
  const name = tool.toLowerCase();
  if (WAIT_TOOLS.has(name)) {
    // Codex's write_stdin with characters is typing into a program, not polling it.
    if (name === "write_stdin" && params && typeof params === "object") {
      const chars = (params as Record<string, unknown>).chars;
      return typeof chars !== "string" || chars === "";
    }
    return true;
  }
  const cmd = commandOf(params);
  return cmd !== undefined && POLL_COMMAND.test(cmd.replace(/^\/bin\/(?:ba)?sh\s+-l?c\s+['"]?/, ""));
}

/** Stable text of a value: object keys sorted, cosmetic keys dropped, whitespace runs collapsed. */
function normalized(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(/\s\s|[\t\n\r]|^\s|\s$/.test(v) ? v.replace(/\s+/g, " ").trim() : v);
  if (Array.isArray(v)) {
    let out = "[";
    for (let i = 0; i < v.length; i++) out += (i ? "," : "") + normalized(v[i]);
    return `${out}]`;
  }
  if (v && typeof v === "object") {
    let out = "{";
    let first = true;
    for (const k of Object.keys(v).sort()) {
      if (COSMETIC_KEYS.has(k)) continue;
      out += `${first ? "" : ","}${JSON.stringify(k)}:${normalized((v as Record<string, unknown>)[k])}`;
      first = false;
    }
    return `${out}}`;
  }
  return v === undefined ? "" : String(JSON.stringify(v));
}

/** The tool and its arguments with key order, whitespace and cosmetic fields (descriptions, timeouts) ignored. */
export function callKey(tool: string, params: unknown): string {
  const text = `${tool}\u0000${normalized(params)}`;
  return text.length <= 160 ? text : `${tool}\u0000#${createHash("sha1").update(text).digest("base64url").slice(0, 22)}`;
}

function toolWeight(calls: ToolCallMark[], tool: string): { weight: number; n: number; firstIdx: number } {
  // Windows hold a few dozen calls: a quadratic scan beats building a map on every call.
  let weight = 0;
  let n = 0;
  let firstIdx = -1;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    if (c.tool !== tool) continue;
    n++;
    if (firstIdx === -1) firstIdx = i;
    let repeated = false;
    for (let j = 0; j < calls.length && !repeated; j++) repeated = j !== i && calls[j]!.key === c.key;
    weight += repeated ? 1 : DISTINCT_CALL_WEIGHT;
  }
  return { weight, n, firstIdx };
}

export function toolLoop(s: AttemptState, e: AwlEvent, t: number, o: DetectorOptions, sink: Sink): void {
  const w = o.toolLoopWindowMs;
  let i = 0;
  while (i < s.tools.length && s.tools[i]!.t <= t - w) i++;
  if (i > 0) s.tools.splice(0, i);
  const run = s.alt.run;
  let j = 0;
  while (j < run.t.length && run.t[j]! <= t - w) j++;
  if (j > 0) {
    run.t.splice(0, j);
    run.s.splice(0, j);
  }

  if (e.event_type === "tool_call" && !isWaiting(e.data.tool_name, e.data.tool_params)) {
    const tool = e.data.tool_name;
    const key = callKey(tool, e.data.tool_params);
    s.tools.push({ t, s: e.sequence_num, tool, key });
    const { weight, n, firstIdx } = toolWeight(s.tools, tool);
    if (weight >= o.toolLoopThreshold - 1e-9) {
      const identical = s.tools.filter((c) => c.key === key).length;
      sink.raise({
        type: "tool_loop",
        subject: `tool:${tool}`,
        severity: "warning",
        recommendation: "fresh_session",
        message: `${tool} called ${n} times in ${Math.round((t - s.tools[firstIdx]!.t) / 1000)} s (${identical} identical)`,
        firstSeq: s.tools[firstIdx]!.s,
        firstTs: s.tools[firstIdx]!.t,
        lastTs: t,
        occurrences: n,
        triggerSeq: e.sequence_num,
        tool_name: tool,
        details: { identical_calls: identical, weight: Math.round(weight * 10) / 10 },
      });
    }

    // A-B-A-B: this call repeats the one two back, and differs from the one just before.
    const keys = s.alt.keys;
    const alternating = keys.length === 2 && keys[0]![0] === key && keys[1]![0] !== key && keys[0]![1] !== keys[1]![1];
    if (alternating) {
      if (run.t.length === 0) {
        const prev = s.tools.slice(-3, -1);
        for (const p of prev) push(run, p.t, p.s);
      }
      push(run, t, e.sequence_num);
    } else if (run.t.length > 0) {
      run.t.length = 0;
      run.s.length = 0;
    }
    keys.push([key, tool]);
    if (keys.length > 2) keys.shift();
    if (alternating && run.t.length >= o.toolLoopThreshold) {
      const other = keys[0]![1];
      const pair = [tool, other].sort().join("|");
      sink.raise({
        type: "tool_loop",
        subject: `alt:${pair}`,
        severity: "warning",
        recommendation: "fresh_session",
        message: `${pair.replace("|", " and ")} alternating with the same arguments ${run.t.length} times in ${Math.round((t - run.t[0]!) / 1000)} s`,
        firstSeq: run.s[0]!,
        firstTs: run.t[0]!,
        lastTs: t,
        occurrences: run.t.length,
        triggerSeq: e.sequence_num,
        tool_name: tool,
        details: { pattern: "alternation", alternates_with: other },
      });
    }
  }

  // Episodes end when the window no longer holds a loop.
  for (const k in s.episodes) {
    if (!k.startsWith("tool_loop\u0000")) continue;
    const subject = k.slice("tool_loop\u0000".length);
    if (subject.startsWith("tool:")) {
      if (toolWeight(s.tools, subject.slice(5)).weight < o.toolLoopThreshold - 1e-9) sink.clear("tool_loop", subject);
    } else if (run.t.length < o.toolLoopThreshold) {
      sink.clear("tool_loop", subject);
    }
  }
}
