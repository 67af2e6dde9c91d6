import { type Obj, obj, str } from "./shared.js";

/** What a tool result says about how the call went, read from whichever record reported it. */
export interface ToolOutcome {
  /** False while a unified-exec process is still running: a later record (`exec_command_end`, `item_completed`) has the end. */
  final: boolean;
  ok: boolean;
  exitCode?: number;
  durationMs?: number;
  /** What the tool returned, for `result_data`. */
  data?: unknown;
  /** The failure text, for the `error` event, where it differs from `data`. */
  message?: string;
  /** Unified exec: the process id a `write_stdin` poll can name. */
  processId?: string;
}

/** `Chunk ID: …\nWall time: N seconds\nProcess exited with code N | Process running with session ID N\n…Output:\n<body>` */
const EXEC_HEADER = /^(?:Chunk ID: [^\n]*\n)?Wall time: ([\d.]+) seconds\n(?:Process exited with code (-?\d+)|Process running with session ID (\d+))/;
/** `Exit code: N\nWall time: N seconds\nOutput:\n<body>` (0.169 custom tools such as apply_patch). */
const EXIT_HEADER = /^Exit code: (-?\d+)\n(?:Wall time: ([\d.]+) seconds\n)?/;
/**
 * Plain-text outputs Codex writes when a call failed before or instead of running (the tool
 * never produced the JSON or header form): rejected or unverifiable patches, closed stdin,
 * arguments it could not parse, sandbox and approval refusals, unknown tools.
 */
const FAILURE_TEXT =
  /^(?:patch rejected\b|apply_patch verification failed\b|[\w.]+ failed: |failed to\b|execution error\b|exec(?:ution)? (?:command )?rejected\b|command (?:was )?rejected\b|sandbox (?:error|denied)\b|unsupported (?:call|custom tool call)\b|unknown (?:function|tool)\b|error: |aborted\b|command timed out\b|timed out\b)/i;

/** A `function_call_output` / `custom_tool_call_output` payload's `output`, in any Codex version's form. */
export function readToolOutput(output: unknown, toolName: string | undefined): ToolOutcome {
  const text = outputText(output);
  const explicitFailure = obj(output)?.success === false;
  if (text.charCodeAt(0) === 123 /* { */) {
    // 0.3x–0.8x: {"output": "...", "metadata": {"exit_code": N, "duration_seconds": S}}
    const j = tryObject(text);
    const meta = j && obj(j.metadata);
    if (j && meta && typeof j.output === "string") {
      const exitCode = typeof meta.exit_code === "number" ? Math.trunc(meta.exit_code) : undefined;
      return {
        final: true,
        ok: !explicitFailure && (exitCode ?? 0) === 0,
        ...(exitCode !== undefined ? { exitCode } : {}),
        ...seconds(meta.duration_seconds),
        data: j.output,
      };
    }
  }
  const exec = EXEC_HEADER.exec(text);
  if (exec) {
    const body = afterOutput(text);
    // A poll reports the state of the process it polled, which the exec call that started it owns:
    // the poll itself went fine whether that process still runs or exited non-zero.
    if (toolName === "write_stdin") return { final: true, ok: !explicitFailure, ...seconds(Number(exec[1])), data: body, ...(exec[2] !== undefined ? { exitCode: Number(exec[2]) } : {}) };
    if (exec[3] !== undefined) return { final: false, ok: true, ...seconds(Number(exec[1])), data: body, processId: exec[3] };
    const code = Number(exec[2]);
    return { final: true, ok: !explicitFailure && code === 0, exitCode: code, ...seconds(Number(exec[1])), data: body, ...(code !== 0 ? { message: text } : {}) };
  }
  const exit = EXIT_HEADER.exec(text);
  if (exit) {
    const code = Number(exit[1]);
    return { final: true, ok: !explicitFailure && code === 0, exitCode: code, ...seconds(exit[2] === undefined ? undefined : Number(exit[2])), data: afterOutput(text), ...(code !== 0 ? { message: text } : {}) };
  }
  const failed = explicitFailure || FAILURE_TEXT.test(text);
  return { final: true, ok: !failed, data: text };
}

/** The stdout of a process from an `item_completed` CommandExecution or an `exec_command_end`. */
export function execOutcome(p: Obj): ToolOutcome {
  const status = str(p.status);
  const exitCode = typeof p.exit_code === "number" ? Math.trunc(p.exit_code) : undefined;
  const output = str(p.aggregated_output) ?? joinStreams(p.stdout, p.stderr) ?? str(p.formatted_output) ?? "";
  const ok = (status === undefined || status === "completed") && (exitCode ?? 0) === 0;
  return {
    final: status !== "in_progress",
    ok,
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...duration(p.duration),
    data: output,
    ...(!ok && status === "declined" ? { message: `command declined: ${output}` } : {}),
  };
}

/** `patch_apply_end` or an `item_completed` FileChange. */
export function patchOutcome(p: Obj): ToolOutcome {
  const status = str(p.status);
  const ok = p.success !== false && (status === undefined || status === "completed");
  const stdout = str(p.stdout) ?? "";
  const stderr = str(p.stderr) ?? "";
  return { final: status !== "in_progress", ok, data: stdout || stderr, ...(!ok ? { message: stderr || stdout || "apply_patch failed" } : {}) };
}

/** `mcp_tool_call_end` (`result: {Ok: CallToolResult} | {Err: string}`) or an `item_completed` McpToolCall. */
export function mcpOutcome(p: Obj): ToolOutcome {
  const result = obj(p.result);
  const okResult = result && "Ok" in result ? obj(result.Ok) : result;
  const err = result && "Err" in result ? result.Err : (obj(p.error)?.message ?? p.error);
  const status = str(p.status);
  const failed = (err !== undefined && err !== null) || okResult?.isError === true || okResult?.is_error === true || status === "failed";
  const message = typeof err === "string" ? err : failed ? outputText(okResult?.content) || "MCP tool call failed" : undefined;
  return {
    final: status !== "in_progress",
    ok: !failed,
    ...duration(p.duration),
    data: okResult?.content ?? okResult ?? err,
    ...(message !== undefined ? { message } : {}),
  };
}

function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  const o = obj(output);
  // Newer payloads: {content: string | items[], success?}; content items are {type, text}.
  if (o) return outputText(o.content ?? o.output ?? "");
  if (Array.isArray(output)) return output.map((c) => str(obj(c)?.text) ?? "").join("");
  return output === undefined || output === null ? "" : JSON.stringify(output);
}

function afterOutput(text: string): string {
  const i = text.indexOf("\nOutput:\n");
  return i < 0 ? text : text.slice(i + 9);
}

function joinStreams(stdout: unknown, stderr: unknown): string | undefined {
  const a = str(stdout);
  const b = str(stderr);
  if (a === undefined && b === undefined) return undefined;
  return (a ?? "") + (b ?? "");
}

function tryObject(text: string): Obj | undefined {
  try {
    return obj(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function seconds(s: unknown): { durationMs?: number } {
  return typeof s === "number" && Number.isFinite(s) && s >= 0 ? { durationMs: Math.round(s * 1000) } : {};
}

/** Rust `Duration` as serde writes it: `{secs, nanos}`. */
export function duration(d: unknown): { durationMs?: number } {
  const o = obj(d);
  if (!o || typeof o.secs !== "number") return {};
  const ms = o.secs * 1000 + (typeof o.nanos === "number" ? o.nanos / 1e6 : 0);
  return Number.isFinite(ms) && ms >= 0 ? { durationMs: Math.round(ms) } : {};
}
