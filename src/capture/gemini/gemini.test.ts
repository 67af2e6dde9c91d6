import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fingerprint } from "../../errors/index.js";
import { eventInputSchema, type Usage } from "../../schema/index.js";
import type { Captured, SessionFacts, SourceFormat } from "../adapter.js";
import { httpStatus, recordUsage, shellMessage, shellOutcome } from "./common.js";
import { geminiAdapter, resultUsage } from "./index.js";

const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "real", "gemini");

interface Parsed {
  events: Captured[];
  facts: SessionFacts;
}

function parse(format: SourceFormat, lines: readonly string[]): Parsed {
  const p = geminiAdapter.parser(format);
  const events: Captured[] = [];
  for (const l of lines) events.push(...p.line(l));
  events.push(...p.end());
  return { events, facts: p.facts() };
}

function readLines(file: string): string[] {
  return readFileSync(join(REAL, file), "utf8").split("\n");
}

const of = <T extends Captured["event_type"]>(events: Captured[], type: T) => events.filter((e): e is Extract<Captured, { event_type: T }> => e.event_type === type);

function usageSum(events: Captured[]): Usage {
  const sum = { input: 0, cache_read: 0, output: 0, reasoning: 0, total_tokens: 0 };
  for (const e of events) {
    const u = "usage" in e.data ? (e.data.usage as Usage | undefined) : undefined;
    if (!u) continue;
    sum.input += u.input ?? 0;
    sum.cache_read += u.cache_read ?? 0;
    sum.output += u.output ?? 0;
    sum.reasoning += u.reasoning ?? 0;
    sum.total_tokens += u.total_tokens ?? 0;
  }
  return sum;
}

function errorSources(events: Captured[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of of(events, "error")) out[e.data.error_source ?? "none"] = (out[e.data.error_source ?? "none"] ?? 0) + 1;
  return out;
}

/** Every event must be something the writer accepts once the attempt is stamped on it. */
function expectValid(events: Captured[]): void {
  for (const e of events) {
    const r = eventInputSchema.safeParse({ ...e, attempt_id: "a-1" });
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
  }
  const keys = events.map((e) => e.key).filter((k) => k !== undefined);
  expect(new Set(keys).size).toBe(keys.length);
}

function ts(base: string, plusMs: number): string {
  return new Date(Date.parse(base) + plusMs).toISOString();
}

const T0 = "2026-11-24T21:00:00.000Z";
const init = (sid = "sid-1") => JSON.stringify({ type: "init", timestamp: T0, session_id: sid, model: "auto" });
const user = (content: string, at = 1) => JSON.stringify({ type: "message", timestamp: ts(T0, at), role: "user", content });
const delta = (content: string, at: number) => JSON.stringify({ type: "message", timestamp: ts(T0, at), role: "assistant", content, delta: true });
const toolUse = (id: string, at: number, name = "run_shell_command", parameters: unknown = { command: "ls" }) =>
  JSON.stringify({ type: "tool_use", timestamp: ts(T0, at), tool_name: name, tool_id: id, parameters });
const toolResult = (id: string, at: number, rest: Record<string, unknown>) => JSON.stringify({ type: "tool_result", timestamp: ts(T0, at), tool_id: id, ...rest });
const resultLine = (at: number, rest: Record<string, unknown>) => JSON.stringify({ type: "result", timestamp: ts(T0, at), ...rest });

// ---------------------------------------------------------------------------------------------
// The real transcripts (test/fixtures/real/gemini, copies of shared/fixtures/real/gemini).

interface RealCase {
  scenario: "success" | "error_loop" | "api_error";
  format: SourceFormat;
  calls: number;
  failed: number;
  errors: Record<string, number>;
  outputs: number;
  usage: Usage;
  status: SessionFacts["status"];
  sessionId: string;
  prompt: string;
}

const SID = {
  success: "3fd6ad04-4257-4f5a-bcc6-7b0bdc7749a7",
  error_loop: "6ab925b8-05ed-4046-9d0a-4769519ccc07",
  api_error: "378f08f4-6e4b-4a6e-a299-c2f7767907a1",
};
const PROMPT = {
  success: "List the files in this repository, add a docstring to add() in calc.py, then create hello.py that uses it, and run it.",
  error_loop: "Push the current branch to the remote.",
  api_error: "List the files in this repository and tell me what you see.",
};

// Token numbers, read off the transcripts:
// - stream: the `result` line's stats (all models, the classifier included): input = input_tokens
//   − cached, output = output_tokens, reasoning = total_tokens − input_tokens − output_tokens (0:
//   the mock reports no thoughts). success 53062 + 292 = 53354; error_loop 35064 + 188 = 35252;
//   api_error 9106 + 48 = 9154.
// - session: the de-duplicated `gemini` records' tokens summed, which equal the stdout
//   stats.models["gemini-3.8-flash"] (the classifier is not in the file): success 52248 + 274 =
//   52522 over 6 records; error_loop 34268 + 170 = 34438 over 4; api_error 8306 + 30 = 8336 over 1.
const CASES: RealCase[] = [
  {
    scenario: "success",
    format: "stream",
    calls: 5,
    failed: 0,
    errors: {},
    outputs: 4,
    usage: { input: 53062, cache_read: 0, output: 292, reasoning: 0, total_tokens: 53354 },
    status: "success",
    sessionId: SID.success,
    prompt: PROMPT.success,
  },
  {
    scenario: "success",
    format: "session",
    calls: 5,
    failed: 0,
    errors: {},
    outputs: 4,
    usage: { input: 52248, cache_read: 0, output: 274, reasoning: 0, total_tokens: 52522 },
    status: undefined,
    sessionId: SID.success,
    prompt: PROMPT.success,
  },
  // stdout reports the 4 exit-128 pushes as status "success": it cannot know they failed. The
  // loop abort is one agent error; its last two (identical) responses fold into one output.
  {
    scenario: "error_loop",
    format: "stream",
    calls: 4,
    failed: 0,
    errors: { agent: 1 },
    outputs: 5,
    usage: { input: 35064, cache_read: 0, output: 188, reasoning: 0, total_tokens: 35252 },
    status: "success",
    sessionId: SID.error_loop,
    prompt: PROMPT.error_loop,
  },
  // The session file has "Exit Code: 128" in each result, and the "Potential loop detected" nudge.
  {
    scenario: "error_loop",
    format: "session",
    calls: 4,
    failed: 4,
    errors: { tool: 4, agent: 1 },
    outputs: 4,
    usage: { input: 34268, cache_read: 0, output: 170, reasoning: 0, total_tokens: 34438 },
    status: undefined,
    sessionId: SID.error_loop,
    prompt: PROMPT.error_loop,
  },
  {
    scenario: "api_error",
    format: "stream",
    calls: 1,
    failed: 0,
    errors: { api: 1 },
    outputs: 1,
    usage: { input: 9106, cache_read: 0, output: 48, reasoning: 0, total_tokens: 9154 },
    status: "failed",
    sessionId: SID.api_error,
    prompt: PROMPT.api_error,
  },
  // The API failure leaves no trace in the session file.
  {
    scenario: "api_error",
    format: "session",
    calls: 1,
    failed: 0,
    errors: {},
    outputs: 1,
    usage: { input: 8306, cache_read: 0, output: 30, reasoning: 0, total_tokens: 8336 },
    status: undefined,
    sessionId: SID.api_error,
    prompt: PROMPT.api_error,
  },
];

const fileOf = (c: { scenario: string; format: SourceFormat }) => `${c.scenario}.${c.format === "stream" ? "stdout" : "session"}.jsonl`;

/** The stdout `result` line's stats, read independently of the adapter. */
function stats(scenario: string): { total_tokens: number; models: Record<string, { total_tokens: number }> } {
  const last = readLines(`${scenario}.stdout.jsonl`).filter((l) => l.trim() !== "").at(-1)!;
  return JSON.parse(last).stats;
}

describe("real Gemini CLI 0.61.0 transcripts", () => {
  it.each(CASES)("$scenario $format: detected from its first line", (c) => {
    expect(geminiAdapter.detect(readLines(fileOf(c))[0]!)).toBe(c.format);
  });

  it.each(CASES)("$scenario $format: $calls calls, $failed failed, errors $errors", (c) => {
    const { events, facts } = parse(c.format, readLines(fileOf(c)));
    expectValid(events);
    expect(of(events, "tool_call")).toHaveLength(c.calls);
    expect(of(events, "tool_result")).toHaveLength(c.calls);
    expect(of(events, "tool_result").filter((e) => e.data.result === "error")).toHaveLength(c.failed);
    expect(errorSources(events)).toEqual(c.errors);
    expect(of(events, "agent_output").filter((e) => e.data.output !== "")).toHaveLength(c.outputs);
    expect(facts.skipped_lines).toBe(0);
    expect(facts.unknown_records).toEqual({});
    expect(facts.session_id).toBe(c.sessionId);
    expect(facts.prompt).toBe(c.prompt);
    expect(facts.status).toBe(c.status);
    // init.model is "auto", a setting; the work was done by the model the classifier picked.
    expect(facts.model).toBe("gemini-3.8-flash");
    // The session file's synthetic <session_context> names the workspace the CLI ran in.
    const meta = JSON.parse(readFileSync(join(REAL, `${c.scenario}.meta.json`), "utf8"));
    expect(facts.cwd).toBe(c.format === "session" ? meta.cwd : undefined);
  });

  it.each(CASES)("$scenario $format: tokens $usage.total_tokens, equal to Gemini's own count", (c) => {
    const { events, facts } = parse(c.format, readLines(fileOf(c)));
    const s = stats(c.scenario);
    if (c.format === "stream") {
      expect(facts.total_usage).toEqual(c.usage);
      expect(facts.total_usage?.total_tokens).toBe(s.total_tokens);
      expect(usageSum(events).total_tokens).toBe(0); // stdout has no per-request usage
    } else {
      expect(facts.total_usage).toBeUndefined(); // the file reports no totals of its own
      expect(usageSum(events)).toEqual(c.usage);
      expect(usageSum(events).total_tokens).toBe(s.models["gemini-3.8-flash"]?.total_tokens);
    }
  });

  it.each(CASES)("$scenario $format: every result pairs with an earlier call of the same tool", (c) => {
    const { events } = parse(c.format, readLines(fileOf(c)));
    const calls = new Map<string, string>();
    for (const e of events) {
      if (e.event_type === "tool_call") {
        expect(e.data.tool_call_id).toBeDefined();
        expect(e.key).toBe(`${e.data.tool_call_id}:call`);
        calls.set(e.data.tool_call_id!, e.data.tool_name);
      }
      if (e.event_type === "tool_result") {
        expect(calls.get(e.data.tool_call_id!)).toBe(e.data.tool_name);
        expect(e.data.duration_ms).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it.each(["success", "error_loop", "api_error"] as const)("%s: stdout and the session file key the same tool calls alike", (scenario) => {
    const stream = parse("stream", readLines(`${scenario}.stdout.jsonl`)).events;
    const session = parse("session", readLines(`${scenario}.session.jsonl`)).events;
    for (const type of ["tool_call", "tool_result"] as const) {
      const a = of(stream, type).map((e) => e.key);
      expect(a.length).toBeGreaterThan(0);
      expect(a).toEqual(of(session, type).map((e) => e.key));
    }
    // What the file also has is "both"; what it never has is "stream_only".
    for (const e of stream) if (e.event_type.startsWith("tool_")) expect(e.presence).toBe("both");
    for (const e of of(stream, "error")) expect(e.presence).toBe("stream_only");
  });

  it("success stream: deltas join into one output per model response; duration from the two timestamps", () => {
    const { events } = parse("stream", readLines("success.stdout.jsonl"));
    expect(of(events, "agent_output").map((e) => e.data.output)).toEqual([
      "I'll start by listing the files.",
      "Adding the docstring.",
      "Now I'll create hello.py.",
      'Done: I listed the files, documented add() in calc.py, created hello.py and ran it; it prints "Hello from the mock model, 2 + 3 = 5".',
    ]);
    expect(of(events, "agent_output")[0]?.timestamp).toBe("2026-11-24T21:08:25.011Z");
    // 21:08:25.109 − 21:08:25.045
    expect(of(events, "tool_result")[0]?.data.duration_ms).toBe(64);
    // write_file/replace print no output on stdout
    expect(of(events, "tool_result").map((e) => e.data.result_data === undefined)).toEqual([false, false, true, true, false]);
  });

  it("error_loop session: the real exit code, and messages that fingerprint as the git failure", () => {
    const { events } = parse("session", readLines("error_loop.session.jsonl"));
    for (const r of of(events, "tool_result")) expect(r.data).toMatchObject({ result: "error", exit_code: 128 });
    const tool = of(events, "error").filter((e) => e.data.error_source === "tool");
    for (const e of tool) {
      expect(e.data.error_message).toMatch(/^fatal: 'origin' does not appear to be a git repository/);
      expect(e.data.error_message).not.toMatch(/untrusted_context|Exit Code|PGID/);
      expect(fingerprint(e.data.error_message).fingerprint).toBe("git_remote_not_found");
      expect(e.key).toBe(`${e.data.tool_call_id}:error`);
    }
    const loop = of(events, "error").find((e) => e.data.error_source === "agent");
    expect(loop?.data.error_message).toMatch(/^System: Potential loop detected/);
    expect(fingerprint(loop!.data.error_message).fingerprint).toBe("agent_loop_detected");
  });

  it("error_loop stream: the loop abort is an agent error, the text before it stream-only", () => {
    const { events } = parse("stream", readLines("error_loop.stdout.jsonl"));
    const err = of(events, "error")[0]!;
    expect(err.data).toMatchObject({ error_message: "Loop detected, stopping execution", error_source: "agent", severity: "warning" });
    expect(fingerprint(err.data.error_message).fingerprint).toBe("agent_loop_detected");
    const outputs = of(events, "agent_output");
    expect(outputs.at(-1)?.data.output).toBe("That failed; let me try again.");
    expect(outputs.at(-1)?.presence).toBe("stream_only");
    expect(outputs.slice(0, -1).every((e) => e.presence === "both")).toBe(true);
  });

  it("api_error stream: the final error is an API error, stream-only, with no status it does not name", () => {
    const { events, facts } = parse("stream", readLines("api_error.stdout.jsonl"));
    const err = of(events, "error")[0]!;
    expect(err.data).toMatchObject({ error_message: "[API Error: The model is overloaded. Please try again later.]", error_source: "api" });
    expect(err.data.http_status).toBeUndefined();
    expect(err.presence).toBe("stream_only");
    expect(fingerprint(err.data.error_message).fingerprint).toBe("provider_overloaded");
    expect(facts.error).toBe(err.data.error_message);
    expect(facts.ended_at).toBe("2026-11-24T21:07:47.239Z");
  });

  it("session: per-record usage equals the record's own tokens.total, each record counted once", () => {
    for (const scenario of ["success", "error_loop", "api_error"]) {
      const lines = readLines(`${scenario}.session.jsonl`);
      const totals = new Map<string, number>();
      for (const l of lines) {
        if (!l.startsWith('{"id"') || !l.includes('"type":"gemini"')) continue;
        const r = JSON.parse(l);
        totals.set(`${r.id}`, r.tokens.total);
      }
      const { events } = parse("session", lines);
      const got = events.flatMap((e) => ("usage" in e.data && e.data.usage ? [(e.data.usage as Usage).total_tokens] : []));
      expect(got).toEqual([...totals.values()]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Stream: inline cases.

describe("stream text", () => {
  it("joins consecutive deltas and closes them at the next record", () => {
    const { events } = parse("stream", [init(), user("go"), delta("I'll ", 10), delta("look ", 11), delta("around.", 13), toolUse("t1", 20), toolResult("t1", 30, { status: "success", output: "a" })]);
    expectValid(events);
    expect(events.map((e) => e.event_type)).toEqual(["agent_output", "tool_call", "tool_result"]);
    expect(events[0]).toMatchObject({ data: { output: "I'll look around." }, timestamp: ts(T0, 10), presence: "both", key: "sid-1:stream:text:0" });
  });

  it("flushes text still open at the end", () => {
    const { events } = parse("stream", [init(), delta("cut ", 10), delta("off", 11)]);
    expect(of(events, "agent_output").map((e) => e.data.output)).toEqual(["cut off"]);
  });

  // api_error_stream: the stream breaks after "Let me "; Gemini CLI retries it 3 times with a
  // backoff (1 s, 2 s, 4 s) and prints the partial text again each time.
  it("folds the partial text a mid-stream retry repeats into one output", () => {
    const message = '[API Error: got status: INTERNAL. {"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}]';
    const { events, facts } = parse("stream", [
      init(),
      user("go"),
      delta("Let me ", 100),
      delta("Let me ", 1300),
      delta("Let me ", 3500),
      delta("Let me ", 7700),
      resultLine(7800, { status: "error", error: { type: "unknown", message }, stats: { total_tokens: 10, input_tokens: 8, output_tokens: 2, cached: 0, input: 8, duration_ms: 0, tool_calls: 0, models: {} } }),
    ]);
    expectValid(events);
    expect(of(events, "agent_output")).toEqual([
      { event_type: "agent_output", data: { output: "Let me " }, timestamp: ts(T0, 7700), key: "sid-1:stream:text:0", presence: "stream_only" },
    ]);
    const err = of(events, "error");
    expect(err).toHaveLength(1);
    expect(err[0]?.data).toMatchObject({ error_source: "api", http_status: 500, error_message: message });
    expect(err[0]?.presence).toBe("stream_only");
    expect(facts.status).toBe("failed");
    expect(fingerprint(message).category).toBe("provider");
  });

  it("keeps the retry that got through, not the attempt it replaced", () => {
    const { events } = parse("stream", [init(), delta("Let me ", 100), delta("Let ", 1300), delta("me check ", 1301), delta("the files.", 1302), toolUse("t1", 1400)]);
    expect(of(events, "agent_output").map((e) => [e.data.output, e.timestamp])).toEqual([["Let me check the files.", ts(T0, 1300)]]);
  });

  it.each<[string, string[], number[], string]>([
    ["different text after a pause", ["First part. ", "Second part."], [0, 2000], "First part. Second part."],
    ["a repeat without a pause", ["That failed. ", "That failed. "], [0, 5], "That failed. That failed. "],
    ["a short run repeated", ["A\n", "A\nB"], [0, 2000], "A\nA\nB"],
    ["a later run that only starts like the earlier one", ["Let me see", "Let me try"], [0, 2000], "Let me seeLet me try"],
  ])("keeps %s", (_label, chunks, times, expected) => {
    const { events } = parse("stream", [init(), ...chunks.map((c, i) => delta(c, 10 + times[i]!))]);
    expect(of(events, "agent_output").map((e) => e.data.output)).toEqual([expected]);
  });

  it("a user message after the prompt closes the text and is kept as a user output", () => {
    const { events, facts } = parse("stream", [init(), user("first"), delta("ok", 5), user("second", 9)]);
    expect(facts.prompt).toBe("first");
    expect(events.map((e) => [e.event_type, (e.data as { output?: string }).output, (e.data as { record_type?: string }).record_type])).toEqual([
      ["agent_output", "ok", undefined],
      ["agent_output", "second", "user"],
    ]);
  });
});

describe("stream tools and errors", () => {
  it("a tool_result with status error is a failed result and an error event", () => {
    const { events } = parse("stream", [
      init(),
      toolUse("replace_1", 10, "replace", { file_path: "/a.py" }),
      toolResult("replace_1", 25, { status: "error", error: { type: "edit_no_occurrence_found", message: "Failed to edit, 0 occurrences found for old_string in /a.py." } }),
    ]);
    expectValid(events);
    expect(of(events, "tool_result")[0]).toMatchObject({
      data: { result: "error", tool_name: "replace", tool_call_id: "replace_1", duration_ms: 15 },
      key: "replace_1:result",
    });
    expect(of(events, "error")[0]).toMatchObject({
      data: { error_source: "tool", tool_name: "replace", tool_call_id: "replace_1", error_message: "Failed to edit, 0 occurrences found for old_string in /a.py." },
      key: "replace_1:error",
      presence: "both",
    });
  });

  it("a shell result whose text carries the exit-code trailer (debug mode) is failed; display text alone is not", () => {
    const trailer = "Output: npm ERR! missing script: test\nExit Code: 1\nProcess Group PGID: 4242";
    const { events } = parse("stream", [
      init(),
      toolUse("s1", 10),
      toolResult("s1", 20, { status: "success", output: trailer }),
      toolUse("s2", 30),
      toolResult("s2", 40, { status: "success", output: "fatal: not a git repository (or any of the parent directories): .git" }),
    ]);
    expect(of(events, "tool_result").map((e) => [e.data.result, e.data.exit_code])).toEqual([
      ["error", 1],
      ["success", undefined],
    ]);
    expect(of(events, "error").map((e) => e.data.error_message)).toEqual(["npm ERR! missing script: test"]);
  });

  it("a result without a matching call still pairs by id and names no tool", () => {
    const { events } = parse("stream", [init(), toolResult("ghost", 5, { status: "success", output: "x" })]);
    expect(events).toEqual([{ event_type: "tool_result", data: { result: "success", result_data: "x", tool_call_id: "ghost" }, timestamp: ts(T0, 5), key: "ghost:result", presence: "both" }]);
  });

  it("the fatal-key result: status 400 and the api_key fingerprint", () => {
    const message = '[API Error: {"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}]';
    const { events, facts } = parse("stream", [init(), user("hi"), resultLine(50, { status: "error", error: { type: "unknown", message }, stats: { total_tokens: 0, input_tokens: 0, output_tokens: 0, cached: 0, input: 0, duration_ms: 0, tool_calls: 0, models: {} } })]);
    expect(of(events, "error")[0]?.data).toMatchObject({ error_source: "api", http_status: 400 });
    expect(fingerprint(message).fingerprint).toBe("api_key_invalid");
    expect(facts.status).toBe("failed");
    expect(facts.total_usage).toEqual({ input: 0, cache_read: 0, output: 0, reasoning: 0, total_tokens: 0 });
    expect(facts.model).toBeUndefined();
  });

  it.each<[string, string, Record<string, { total_tokens: number }>, string | undefined]>([
    ["auto: the classifier is not the model", "auto", { "gemini-3.5-flash-lite": { total_tokens: 832 }, "gemini-3.8-flash": { total_tokens: 52522 } }, "gemini-3.8-flash"],
    ["auto: a main model that failed at once still beats the classifier", "auto", { "gemini-3.5-flash-lite": { total_tokens: 800 }, "gemini-3.8-flash": { total_tokens: 0 } }, "gemini-3.8-flash"],
    ["auto: only the classifier answered", "auto", { "gemini-3.5-flash-lite": { total_tokens: 800 } }, undefined],
    ["a flash-lite model chosen by the user", "gemini-2.5-flash-lite", { "gemini-2.5-flash-lite": { total_tokens: 900 } }, "gemini-2.5-flash-lite"],
    ["a fallback after a quota error: the one that did most", "gemini-2.5-pro", { "gemini-2.5-pro": { total_tokens: 100 }, "gemini-2.5-flash": { total_tokens: 5000 } }, "gemini-2.5-flash"],
  ])("model: %s", (_label, setting, models, expected) => {
    const { facts } = parse("stream", [
      JSON.stringify({ type: "init", timestamp: T0, session_id: "m", model: setting }),
      resultLine(9, { status: "success", stats: { total_tokens: 1, input_tokens: 1, output_tokens: 0, cached: 0, input: 1, models } }),
    ]);
    expect(facts.model).toBe(expected);
  });

  it("an error record that is not the loop warning", () => {
    const { events } = parse("stream", [init(), JSON.stringify({ type: "error", timestamp: ts(T0, 3), severity: "error", message: "Maximum session turns exceeded" })]);
    expect(events[0]).toMatchObject({ event_type: "error", data: { error_source: "agent", severity: "error" }, presence: "stream_only", key: "sid-1:stream:error:0" });
  });

  it("picks the main model from stats.models, not the router", () => {
    const { facts } = parse("stream", [
      init(),
      resultLine(9, {
        status: "success",
        stats: {
          total_tokens: 120,
          input_tokens: 90,
          output_tokens: 20,
          cached: 30,
          input: 60,
          models: { "gemini-2.5-flash-lite": { total_tokens: 20, input_tokens: 18, output_tokens: 2, cached: 0, input: 18 }, "gemini-2.5-pro": { total_tokens: 100, input_tokens: 72, output_tokens: 18, cached: 30, input: 42 } },
        },
      }),
    ]);
    expect(facts.model).toBe("gemini-2.5-pro");
    // total 120 − prompt 90 − output 20 = 10 thoughts (or tool-use prompt): reasoning.
    expect(facts.total_usage).toEqual({ input: 60, cache_read: 30, output: 20, reasoning: 10, total_tokens: 120 });
  });
});

describe("token conversion", () => {
  it.each<[string, Record<string, unknown>, Usage | undefined]>([
    ["mock record", { input: 8318, output: 37, cached: 0, thoughts: 0, tool: 0, total: 8355 }, { input: 8318, cache_read: 0, output: 37, reasoning: 0, total_tokens: 8355 }],
    // 2026-03-27-toolcalls.json, first gemini record: 11894 + 68 + 344 = 12306
    ["cached and thoughts", { input: 11894, output: 68, cached: 7900, thoughts: 344, tool: 0, total: 12306 }, { input: 3994, cache_read: 7900, output: 68, reasoning: 344, total_tokens: 12306 }],
    ["tool-use prompt tokens are extra input", { input: 100, output: 10, cached: 30, thoughts: 5, tool: 7, total: 122 }, { input: 77, cache_read: 30, output: 10, reasoning: 5, total_tokens: 122 }],
    ["all zero (pomodoro)", { input: 0, output: 0, cached: 0, thoughts: 0, tool: 0, total: 0 }, undefined],
    ["garbage values", { input: "9", output: -3, cached: Number.NaN, thoughts: 1.7 }, { input: 0, cache_read: 0, output: 0, reasoning: 1, total_tokens: 1 }],
  ])("session record: %s", (_label, tokens, expected) => {
    expect(recordUsage(tokens)).toEqual(expected);
    if (expected && typeof tokens["total"] === "number") expect(expected.total_tokens).toBe(tokens["total"]);
  });

  it("result stats in the older SessionMetrics shape", () => {
    expect(
      resultUsage({
        models: {
          "gemini-2.5-pro": { api: {}, tokens: { prompt: 1000, candidates: 50, total: 1130, cached: 400, thoughts: 70, tool: 10 } },
          "gemini-2.5-flash-lite": { api: {}, tokens: { prompt: 100, candidates: 5, total: 105, cached: 0, thoughts: 0, tool: 0 } },
        },
      }),
    ).toEqual({ input: 710, cache_read: 400, output: 55, reasoning: 70, total_tokens: 1235 });
  });
});

describe("HTTP status of an API error", () => {
  it.each<[string, number | undefined]>([
    ['[API Error: {"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}]', 400],
    ['[API Error: got status: INTERNAL. {"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}]', 500],
    ["[API Error: got status: UNAVAILABLE. The service is currently unavailable.]", 503],
    ["[API Error: exception RESOURCE_EXHAUSTED]", 429],
    ["Request failed with status 429", 429],
    ["[API Error: The model is overloaded. Please try again later.]", undefined],
  ])("%s → %s", (message, status) => {
    expect(httpStatus(message)).toBe(status);
  });
});

describe("shell results", () => {
  it.each<[string, string, { exitCode?: number; signal?: string }, string]>([
    ["0.61, non-zero", "<untrusted_context>\nOutput: boom\nExit Code: 2\nProcess Group PGID: 7\n</untrusted_context>", { exitCode: 2 }, "boom"],
    ["0.61, success", "<untrusted_context>\nOutput: fine\nProcess Group PGID: 7\n</untrusted_context>", {}, "fine"],
    ["0.61, empty output", "Output: (empty)\nExit Code: 1\nProcess Group PGID: 9", { exitCode: 1 }, ""],
    [
      "old layout",
      "Command: npm test\nDirectory: (root)\nStdout: ok 1\nStderr: Error: 2 tests failed\nError: (none)\nExit Code: 1\nSignal: (none)\nBackground PIDs: (none)\nProcess Group PGID: 27296",
      { exitCode: 1 },
      "Error: 2 tests failed",
    ],
    ["old layout, success", "Command: ls\nDirectory: (root)\nStdout: a\nStderr: (empty)\nError: (none)\nExit Code: 0\nSignal: (none)\nBackground PIDs: (none)\nProcess Group PGID: 5", { exitCode: 0 }, "a"],
    ["killed", "Command: sleep 9\nDirectory: (root)\nStdout: (empty)\nStderr: (empty)\nError: (none)\nExit Code: (none)\nSignal: 15\nBackground PIDs: (none)\nProcess Group PGID: 5", { signal: "15" }, ""],
    ["a command that prints the phrase itself", "Output: Exit Code: 1\nall good\nProcess Group PGID: 3", {}, "Exit Code: 1\nall good"],
    ["display text", "fatal: 'origin' does not appear to be a git repository", {}, "fatal: 'origin' does not appear to be a git repository"],
  ])("%s", (_label, text, outcome, message) => {
    expect(shellOutcome(text)).toEqual(outcome);
    expect(shellMessage(text)).toBe(message);
  });
});

// ---------------------------------------------------------------------------------------------
// Session file: inline cases.

const HEADER = JSON.stringify({ sessionId: "s-1", projectHash: "ph", startTime: T0, lastUpdated: T0, kind: "main" });
const lastUpdated = (at: number) => JSON.stringify({ $set: { lastUpdated: ts(T0, at) } });
const tokens = { input: 1000, output: 40, cached: 200, thoughts: 10, tool: 0, total: 1050 };
const gem = (rest: Record<string, unknown>, at = 100) => JSON.stringify({ id: "g-1", timestamp: ts(T0, at), type: "gemini", content: "Running it.", thoughts: [], tokens, model: "gemini-2.5-pro", ...rest });
const shellCall = (status: string, output: string, doneAt = 250) => ({
  id: "run_shell_command_1_0",
  name: "run_shell_command",
  args: { command: "make" },
  result: [{ functionResponse: { id: "run_shell_command_1_0", name: "run_shell_command", response: { output } } }],
  status,
  timestamp: ts(T0, doneAt),
  resultDisplay: "x",
});

describe("session records", () => {
  it("a gemini record written twice (tokens first, tool calls later) counts once: the last version wins", () => {
    const lines = [
      HEADER,
      JSON.stringify({ id: "u-1", timestamp: ts(T0, 50), type: "user", content: [{ text: "build it" }] }),
      lastUpdated(50),
      gem({}),
      lastUpdated(100),
      gem({ toolCalls: [shellCall("success", "<untrusted_context>\nOutput: make: *** [all] Error 2\nExit Code: 2\nProcess Group PGID: 11\n</untrusted_context>")] }),
      JSON.stringify({ id: "u-2", timestamp: ts(T0, 251), type: "user", content: [{ functionResponse: { id: "run_shell_command_1_0", name: "run_shell_command", response: { output: "…" } } }] }),
      lastUpdated(251),
    ];
    const { events, facts } = parse("session", lines);
    expectValid(events);
    expect(events.map((e) => e.event_type)).toEqual(["agent_output", "tool_call", "tool_result", "error"]);
    expect(events[0]).toMatchObject({ data: { output: "Running it.", usage: { input: 800, cache_read: 200, output: 40, reasoning: 10, total_tokens: 1050 } }, model: "gemini-2.5-pro", key: "g-1:output" });
    expect(events[2]).toMatchObject({ data: { result: "error", exit_code: 2, duration_ms: 150 }, timestamp: ts(T0, 250), key: "run_shell_command_1_0:result" });
    expect(events[3]).toMatchObject({ data: { error_source: "tool", error_message: "make: *** [all] Error 2", tool_name: "run_shell_command" } });
    expect(fingerprint((events[3] as Extract<Captured, { event_type: "error" }>).data.error_message).fingerprint).toBe("make_failed");
    expect(usageSum(events).total_tokens).toBe(1050);
    expect(facts).toMatchObject({ session_id: "s-1", started_at: T0, ended_at: ts(T0, 251), prompt: "build it", model: "gemini-2.5-pro", skipped_lines: 0, unknown_records: {} });
  });

  it("a record that shows up again after another one adds only what is new", () => {
    const { events } = parse("session", [
      HEADER,
      gem({ toolCalls: [{ ...shellCall("executing", ""), result: undefined }] }),
      JSON.stringify({ id: "i-1", timestamp: ts(T0, 120), type: "info", content: "Working…" }),
      gem({ toolCalls: [shellCall("success", "Output: done\nProcess Group PGID: 3")] }),
    ]);
    expect(events.map((e) => [e.event_type, e.key])).toEqual([
      ["agent_output", "g-1:output"],
      ["tool_call", "run_shell_command_1_0:call"],
      ["agent_output", "i-1:info"],
      ["tool_result", "run_shell_command_1_0:result"],
    ]);
    expect(usageSum(events).total_tokens).toBe(1050);
  });

  it("holds the last record until the end", () => {
    const p = geminiAdapter.parser("session");
    expect(p.line(HEADER)).toEqual([]);
    expect(p.line(gem({}))).toEqual([]);
    expect(p.end().map((e) => e.key)).toEqual(["g-1:output"]);
  });

  it("$set and $rewindTo lines are handled without events", () => {
    const big = JSON.stringify({ $set: { messages: Array.from({ length: 200 }, (_, i) => ({ id: `m${i}`, type: "user", content: [{ text: "x".repeat(100) }] })), lastUpdated: ts(T0, 900) } });
    const { events, facts } = parse("session", [
      HEADER,
      big,
      lastUpdated(500),
      JSON.stringify({ $set: { summary: "did things", directories: ["/w"] } }),
      JSON.stringify({ $set: { sessionId: "s-2" } }),
      JSON.stringify({ $rewindTo: "m3" }),
    ]);
    expect(events).toEqual([]);
    expect(facts).toMatchObject({ skipped_lines: 0, unknown_records: {}, ended_at: ts(T0, 900), session_id: "s-2" });
  });

  it("user records: context and function responses skipped, the typed prompt kept, nudges marked", () => {
    const u = (id: string, content: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ id, timestamp: ts(T0, 10), type: "user", content, ...extra });
    const { events, facts } = parse("session", [
      HEADER,
      u("c", [{ text: "<session_context>\nThis is the Gemini CLI.\n- **Workspace Directories:**\n  - /home/me/app\n  - /home/me/lib\n</session_context>" }]),
      u("p", [{ text: "\nYou are an AI agent that brings the power of Gemini…" }], { displayContent: [{ text: "/init" }] }),
      u("f", [{ functionResponse: { id: "x", name: "read_file", response: { output: "…" } } }]),
      u("n", [{ text: "System: Please continue." }]),
      u("l", [{ text: "System: Potential loop detected. Details: Repeated tool call: run_shell_command" }]),
      u("q", "and now the tests"),
      JSON.stringify({ id: "e", timestamp: ts(T0, 11), type: "error", content: "Something broke" }),
      JSON.stringify({ id: "w", timestamp: ts(T0, 12), type: "warning", content: "Careful" }),
      JSON.stringify({ id: "a", timestamp: ts(T0, 13), type: "error", content: "[API Error: Resource has been exhausted (e.g. check quota). RESOURCE_EXHAUSTED]" }),
    ]);
    expectValid(events);
    expect(facts.prompt).toBe("/init");
    expect(facts.cwd).toBe("/home/me/app");
    expect(events.map((e) => [e.event_type, e.key, (e.data as { record_type?: string }).record_type])).toEqual([
      ["agent_output", "n:nudge", "system_nudge"],
      ["error", "l:loop", "loop_detected"],
      ["agent_output", "q:user", "user"],
      ["error", "e:error", undefined],
      ["agent_output", "w:warning", "warning"],
      ["error", "a:error", undefined],
    ]);
    expect(of(events, "error").map((e) => [e.data.error_source, e.data.http_status])).toEqual([
      ["agent", undefined],
      ["agent", undefined],
      ["api", 429],
    ]);
  });

  it("thoughts become agent_thinking, before the output, and carry the record's tokens", () => {
    const { events } = parse("session", [
      HEADER,
      gem({ thoughts: [{ subject: "Planning", description: "List files first.", timestamp: ts(T0, 90) }, { subject: "", description: "", timestamp: ts(T0, 91) }] }),
    ]);
    expect(events.map((e) => e.event_type)).toEqual(["agent_thinking", "agent_output"]);
    expect(events[0]).toMatchObject({ data: { thinking: "Planning\nList files first.", usage: { total_tokens: 1050 } }, timestamp: ts(T0, 90), key: "g-1:thought:0" });
  });

  it("a record with nothing to show still carries its tokens", () => {
    const { events } = parse("session", [HEADER, gem({ content: "" })]);
    expect(events).toEqual([{ event_type: "agent_output", data: { output: "", usage: { input: 800, cache_read: 200, output: 40, reasoning: 10, total_tokens: 1050 } }, timestamp: ts(T0, 100), model: "gemini-2.5-pro", key: "g-1:usage" }]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["status error with an error response", { status: "error", result: [{ functionResponse: { id: "t", name: "replace", response: { error: "Failed to edit, could not find the string to replace." } } }] }, "Failed to edit, could not find the string to replace."],
    ["cancelled", { status: "cancelled", result: [] }, "replace was cancelled by the user"],
  ])("a failed non-shell call: %s", (_label, rest, message) => {
    const tc = { id: "t", name: "replace", args: {}, timestamp: ts(T0, 100), ...rest };
    const { events } = parse("session", [HEADER, gem({ content: "", toolCalls: [tc] })]);
    expect(of(events, "tool_result")[0]?.data).toMatchObject({ result: "error", tool_name: "replace" });
    expect(of(events, "tool_result")[0]?.data.duration_ms).toBeUndefined(); // stamped at the record's own time
    expect(of(events, "error")[0]?.data).toMatchObject({ error_message: message, error_source: "tool", tool_call_id: "t" });
  });
});

describe("one-document session files", () => {
  const doc = {
    sessionId: "d-1",
    projectHash: "ph",
    startTime: T0,
    lastUpdated: ts(T0, 999),
    messages: [
      { id: "u", timestamp: ts(T0, 1), type: "user", content: "fix it" },
      { id: "g", timestamp: ts(T0, 5), type: "gemini", content: "Done.", tokens, model: "gemini-2.5-pro", toolCalls: [shellCall("success", "Command: x\nDirectory: (root)\nStdout: (empty)\nStderr: boom\nError: (none)\nExit Code: 3\nSignal: (none)\nBackground PIDs: (none)\nProcess Group PGID: 1")] },
      "not a record",
    ],
  };

  it("is recognised as a document, not as a line format", () => {
    expect(geminiAdapter.detectDocument?.(doc)).toBe(true);
    expect(geminiAdapter.detect(JSON.stringify(doc))).toBeUndefined();
    expect(geminiAdapter.detectDocument?.({ type: "init", session_id: "x" })).toBe(false);
    expect(geminiAdapter.detectDocument?.(null)).toBe(false);
  });

  it("parses like the JSONL file", () => {
    const { events, facts } = geminiAdapter.parseDocument!(doc);
    expectValid(events);
    expect(events.map((e) => e.event_type)).toEqual(["agent_output", "tool_call", "tool_result", "error"]);
    expect(of(events, "tool_result")[0]?.data.exit_code).toBe(3);
    expect(of(events, "error")[0]?.data.error_message).toBe("boom");
    expect(facts).toMatchObject({ session_id: "d-1", prompt: "fix it", ended_at: ts(T0, 999), skipped_lines: 1, model: "gemini-2.5-pro" });
  });

  it("never throws on what is not one", () => {
    for (const v of [null, 3, "x", [], { sessionId: "s", messages: [null, 1, { id: 2 }] }]) expect(() => geminiAdapter.parseDocument!(v)).not.toThrow();
  });
});

describe("detect", () => {
  it.each<[string, string, SourceFormat | undefined]>([
    ["stream-json init", '{"type":"init","timestamp":"2026-11-24T21:08:24.657Z","session_id":"3fd6","model":"auto"}', "stream"],
    ["session header", '{"sessionId":"3fd6","projectHash":"a1e1","startTime":"2026-11-24T21:08:24.654Z","lastUpdated":"2026-11-24T21:08:24.654Z","kind":"main"}', "session"],
    ["session header with a BOM and CRLF", '\uFEFF{"sessionId":"3fd6","projectHash":"a1e1","kind":"subagent"}\r', "session"],
    ["Claude's init", '{"type":"system","subtype":"init","session_id":"x","model":"claude"}', undefined],
    ["Codex", '{"type":"thread.started","thread_id":"x"}', undefined],
    ["a Claude session line", '{"type":"queue-operation","sessionId":"x"}', undefined],
    ["a one-document file's first line", "{", undefined],
    ["empty", "", undefined],
    ["not JSON", "Warning: 256-color support not detected.", undefined],
    ["JSON of no interest", "[1,2,3]", undefined],
  ])("%s", (_label, line, expected) => {
    expect(geminiAdapter.detect(line)).toBe(expected);
  });
});

describe("garbage never throws", () => {
  const garbage = [
    "",
    "   ",
    "not json at all",
    "{",
    '{"type":"message"',
    "null",
    "[1,2]",
    '"a string"',
    "42",
    '{"no":"type"}',
    '{"type":42}',
    '{"type":"weird_new_record","timestamp":"2026-11-24T21:00:00Z"}',
    '{"type":"tool_result"}',
    '{"type":"tool_use","tool_name":""}',
    '{"type":"message","role":"assistant","delta":true,"content":{"x":1},"timestamp":"yesterday"}',
    '{"type":"result","status":"error","stats":"none","error":"x"}',
    '{"id":"x","type":"gemini","toolCalls":[null,1,{"id":5}],"thoughts":"no","tokens":[],"timestamp":"bad"}',
    '{"id":"y","type":"user","content":[null,{"text":5}]}',
    '{"$set":null}',
    '{"$set":{"messages":',
    `{"type":"message","role":"assistant","content":"${"x".repeat(300_000)}","delta":true}`,
  ];

  it.each(["stream", "session"] as const)("%s: bad lines are counted, never thrown", (format) => {
    const { events, facts } = parse(format, garbage);
    expectValid(events);
    expect(facts.skipped_lines).toBeGreaterThan(5);
  });

  it("stream: unknown record types are kept as raw outputs and counted", () => {
    const { events, facts } = parse("stream", [init(), '{"type":"thought","timestamp":"2026-11-24T21:00:01.000Z","content":"hm"}']);
    expect(facts.unknown_records).toEqual({ thought: 1 });
    expect(events[0]).toMatchObject({ event_type: "agent_output", data: { record_type: "thought", raw: { content: "hm" } } });
  });

  it("session: unknown record types are kept as raw outputs and counted", () => {
    const { events, facts } = parse("session", [HEADER, JSON.stringify({ id: "z", timestamp: ts(T0, 1), type: "compression", content: "summary" })]);
    expect(facts.unknown_records).toEqual({ compression: 1 });
    expect(events[0]).toMatchObject({ event_type: "agent_output", data: { output: "summary", record_type: "compression" }, key: "z:compression" });
  });

  it.each(["stream", "session"] as const)("%s: arbitrary lines and JSON values", (format) => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ type: "message", ...(typeof v === "object" && v ? v : { v }) })))), (lines) => {
        const p = geminiAdapter.parser(format);
        for (const l of lines) p.line(l, "2026-11-24T21:00:00.000Z");
        p.end();
        p.facts();
      }),
      { numRuns: 300 },
    );
  });
});
