import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadScenario, type MockModel, type Scenario, startMockModel } from "./server.js";

const SCENARIOS = join(import.meta.dirname, "scenarios");
const WORKDIR = "/work/dir";

const servers: MockModel[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(script: Scenario | string): Promise<MockModel> {
  const m = await startMockModel({ script: typeof script === "string" ? join(SCENARIOS, `${script}.json`) : script, workdir: WORKDIR });
  servers.push(m);
  return m;
}

interface SseEvent {
  event: string | undefined;
  data: Record<string, unknown>;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== "")
    .map((block) => {
      let event: string | undefined;
      let data = "";
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

async function post(m: MockModel, path: string, body: unknown): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(m.url + path, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "secret" }, body: JSON.stringify(body) });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}

// ---------------------------------------------------------------- request builders (as the CLIs send them)

const anthropicTools = [{ name: "Bash" }, { name: "Read" }, { name: "Write" }, { name: "Edit" }];
function anthropicBody(toolResults: number, stream = true): unknown {
  const messages: unknown[] = [{ role: "user", content: [{ type: "text", text: "go" }] }];
  for (let i = 0; i < toolResults; i++) {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: `t${i}`, name: "Bash", input: {} }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `t${i}`, content: "ok" }] });
  }
  return { model: "claude-test", stream, max_tokens: 100, tools: anthropicTools, messages };
}

const codexTools = [
  { type: "function", name: "exec_command" },
  { type: "custom", name: "apply_patch" },
];
function responsesBody(toolResults: number): unknown {
  const input: unknown[] = [{ type: "message", role: "user", content: [{ type: "input_text", text: "go" }] }];
  for (let i = 0; i < toolResults; i++) {
    input.push({ type: "function_call", call_id: `c${i}`, name: "exec_command", arguments: "{}" });
    input.push({ type: i % 2 ? "custom_tool_call_output" : "function_call_output", call_id: `c${i}`, output: "ok" });
  }
  return { model: "gpt-5.5", stream: true, tools: codexTools, input };
}

function geminiBody(toolResults: number): unknown {
  const contents: unknown[] = [{ role: "user", parts: [{ text: "go" }] }];
  for (let i = 0; i < toolResults; i++) {
    contents.push({ role: "model", parts: [{ functionCall: { name: "run_shell_command", args: {} } }] });
    contents.push({ role: "user", parts: [{ functionResponse: { name: "run_shell_command", response: { output: "ok" } } }] });
  }
  const functionDeclarations = [{ name: "run_shell_command" }, { name: "read_file", parametersJsonSchema: { properties: { absolute_path: {} } } }, { name: "write_file" }, { name: "replace" }];
  return { contents, tools: [{ functionDeclarations }] };
}
const GEMINI_STREAM = "/v1beta/models/gemini-test:streamGenerateContent?alt=sse";

// ---------------------------------------------------------------- Anthropic

describe("Anthropic Messages", () => {
  it("streams a tool turn as text + tool_use blocks with stop_reason tool_use", async () => {
    const m = await start("success");
    const r = await post(m, "/v1/messages?beta=true", anthropicBody(0));
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/event-stream/);
    const events = parseSse(r.text);
    for (const e of events) expect(e.data["type"]).toBe(e.event);
    const names = events.map((e) => e.event);
    expect(names.slice(0, 2)).toEqual(["message_start", "ping"]);
    expect(names.slice(-2)).toEqual(["message_delta", "message_stop"]);
    const starts = events.filter((e) => e.event === "content_block_start").map((e) => e.data["content_block"] as Record<string, unknown>);
    expect(starts.map((b) => b["type"])).toEqual(["text", "tool_use"]);
    expect(starts[1]?.["name"]).toBe("Bash");
    expect(String(starts[1]?.["id"])).toMatch(/^toolu_/);
    const deltas = events.filter((e) => e.event === "content_block_delta").map((e) => e.data as { index: number; delta: Record<string, string> });
    const text = deltas.filter((d) => d.index === 0).map((d) => d.delta["text"]);
    expect(text.join("")).toBe("I'll start by listing the files.");
    const json = deltas.filter((d) => d.index === 1 && d.delta["type"] === "input_json_delta").map((d) => d.delta["partial_json"]);
    expect(JSON.parse(json.join(""))).toEqual({ command: "ls -la", description: "Run ls -la" });
    expect(events.filter((e) => e.event === "content_block_stop")).toHaveLength(2);
    const md = events.find((e) => e.event === "message_delta")?.data as { delta: { stop_reason: string }; usage: { output_tokens: number } };
    expect(md.delta.stop_reason).toBe("tool_use");
    expect(md.usage.output_tokens).toBeGreaterThan(0);
  });

  it("streams the final text turn with stop_reason end_turn", async () => {
    const m = await start("success");
    const events = parseSse((await post(m, "/v1/messages", anthropicBody(5))).text);
    const starts = events.filter((e) => e.event === "content_block_start");
    expect(starts.map((e) => (e.data["content_block"] as Record<string, unknown>)["type"])).toEqual(["text"]);
    const text = events.filter((e) => e.event === "content_block_delta").map((e) => (e.data["delta"] as Record<string, string>)["text"]);
    expect(text.join("")).toMatch(/^Done: I listed the files/);
    expect(events.find((e) => e.event === "message_delta")?.data["delta"]).toMatchObject({ stop_reason: "end_turn" });
  });

  it("maps read / edit / write to Read, Edit and Write with absolute paths", async () => {
    const m = await start("success");
    const toolOf = async (n: number): Promise<unknown> => {
      const r = await post(m, "/v1/messages", anthropicBody(n, false));
      const msg = JSON.parse(r.text) as { content: { type: string; name?: string; input?: unknown }[] };
      const block = msg.content.find((b) => b.type === "tool_use");
      return { name: block?.name, input: block?.input };
    };
    expect(await toolOf(1)).toEqual({ name: "Read", input: { file_path: "/work/dir/calc.py" } });
    expect(await toolOf(2)).toMatchObject({ name: "Edit", input: { file_path: "/work/dir/calc.py", old_string: "    return a + b" } });
    expect(await toolOf(3)).toMatchObject({ name: "Write", input: { file_path: "/work/dir/hello.py" } });
  });

  it("answers requests without the Bash tool as side calls and the HEAD / probe", async () => {
    const m = await start("success");
    const side = await post(m, "/v1/messages", { model: "haiku", system: "Write a title, reply in JSON", messages: [], stream: false });
    expect(JSON.parse(side.text).content[0].text).toBe(JSON.stringify({ title: "Add docstring and hello.py" }));
    expect((await fetch(m.url, { method: "HEAD" })).status).toBe(200);
    expect(m.requests().map((r) => r.kind)).toEqual(["side", "probe"]);
  });
});

// ---------------------------------------------------------------- Responses

describe("OpenAI Responses", () => {
  it("streams a tool turn as a message item and an exec_command function_call", async () => {
    const m = await start("success");
    const r = await post(m, "/v1/responses", responsesBody(0));
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/event-stream/);
    const events = parseSse(r.text);
    for (const [i, e] of events.entries()) {
      expect(e.data["type"]).toBe(e.event);
      expect(e.data["sequence_number"]).toBe(i);
    }
    const names = events.map((e) => e.event);
    expect(names.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(names.at(-1)).toBe("response.completed");
    expect(names).toContain("response.output_text.delta");
    expect(names).toContain("response.function_call_arguments.done");
    const done = events.filter((e) => e.event === "response.output_item.done").map((e) => e.data["item"] as Record<string, unknown>);
    expect(done.map((i) => i["type"])).toEqual(["message", "function_call"]);
    expect(done[1]?.["name"]).toBe("exec_command");
    expect(JSON.parse(String(done[1]?.["arguments"]))).toEqual({ cmd: "ls -la" });
    expect(String(done[1]?.["call_id"])).toMatch(/^call_/);
    const text = events.filter((e) => e.event === "response.output_text.delta").map((e) => e.data["delta"]);
    expect(text.join("")).toBe("I'll start by listing the files.");
    const completed = events.at(-1)?.data["response"] as { status: string; output: unknown[]; usage: Record<string, number> };
    expect(completed.status).toBe("completed");
    expect(completed.output).toHaveLength(2);
    expect(completed.usage["total_tokens"]).toBe((completed.usage["input_tokens"] ?? 0) + (completed.usage["output_tokens"] ?? 0));
  });

  it("sends edits as an apply_patch custom tool call", async () => {
    const m = await start("success");
    const events = parseSse((await post(m, "/v1/responses", responsesBody(2))).text);
    expect(events.map((e) => e.event)).toContain("response.custom_tool_call_input.delta");
    const item = events.filter((e) => e.event === "response.output_item.done").map((e) => e.data["item"] as Record<string, unknown>)[1];
    expect(item?.["type"]).toBe("custom_tool_call");
    expect(item?.["input"]).toBe('*** Begin Patch\n*** Update File: calc.py\n@@\n-    return a + b\n+    """Return the sum of a and b."""\n+    return a + b\n*** End Patch\n');
  });

  it("streams the final text turn as a single message item", async () => {
    const m = await start("error_loop");
    const events = parseSse((await post(m, "/v1/responses", responsesBody(5))).text);
    const done = events.filter((e) => e.event === "response.output_item.done").map((e) => e.data["item"] as { type: string; content: { text: string }[] });
    expect(done.map((i) => i.type)).toEqual(["message"]);
    expect(done[0]?.content[0]?.text).toMatch(/Giving up\.$/);
  });
});

// ---------------------------------------------------------------- Gemini

describe("Gemini streamGenerateContent", () => {
  it("streams a tool turn as text chunks then a functionCall, finishing on the last chunk", async () => {
    const m = await start("success");
    const r = await post(m, GEMINI_STREAM, geminiBody(0));
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^data: /);
    expect(r.text.endsWith("\r\n\r\n")).toBe(true);
    const chunks = parseSse(r.text).map((e) => e.data as { candidates: { content: { parts: Record<string, unknown>[] }; finishReason?: string }[]; usageMetadata?: Record<string, number> });
    const parts = chunks.flatMap((c) => c.candidates[0]?.content.parts ?? []);
    expect(
      parts
        .filter((p) => "text" in p)
        .map((p) => p["text"])
        .join(""),
    ).toBe("I'll start by listing the files.");
    expect(parts.at(-1)).toEqual({ functionCall: { name: "run_shell_command", args: { command: "ls -la", description: "Run ls -la" } } });
    expect(chunks.map((c) => c.candidates[0]?.finishReason)).toEqual([...chunks.slice(1).map(() => undefined), "STOP"]);
    const usage = chunks.at(-1)?.usageMetadata;
    expect(usage?.["totalTokenCount"]).toBe((usage?.["promptTokenCount"] ?? 0) + (usage?.["candidatesTokenCount"] ?? 0));
  });

  it("uses the path parameter name the client declares", async () => {
    const m = await start("success");
    const chunks = parseSse((await post(m, GEMINI_STREAM, geminiBody(1))).text).map((e) => e.data as { candidates: { content: { parts: Record<string, unknown>[] } }[] });
    expect(chunks.at(-1)?.candidates[0]?.content.parts.at(-1)).toEqual({ functionCall: { name: "read_file", args: { absolute_path: "/work/dir/calc.py" } } });
  });

  it("streams the final text turn, and fills JSON side calls from their schema", async () => {
    const m = await start("success");
    const chunks = parseSse((await post(m, GEMINI_STREAM, geminiBody(5))).text).map((e) => e.data as { candidates: { content: { parts: { text: string }[] } }[] });
    expect(chunks.map((c) => c.candidates[0]?.content.parts[0]?.text).join("")).toMatch(/^Done: I listed the files/);
    const side = await post(m, "/v1beta/models/flash:generateContent", {
      contents: [],
      generationConfig: { responseMimeType: "application/json", responseJsonSchema: { type: "object", properties: { next_speaker: { type: "string" }, reasoning: { type: "string" } } } },
    });
    const text = JSON.parse(side.text).candidates[0].content.parts[0].text as string;
    expect(JSON.parse(text)).toEqual({ next_speaker: "user", reasoning: "mock" });
    expect(m.requests().map((r) => r.kind)).toEqual(["main", "side"]);
  });
});

// ---------------------------------------------------------------- turn selection, failures, logging

describe("turn selection", () => {
  it("picks the turn from the number of tool results, for every protocol", async () => {
    const m = await start("success");
    for (const n of [0, 3, 1, 5, 0]) {
      await post(m, "/v1/messages", anthropicBody(n));
      await post(m, "/v1/responses", responsesBody(n));
      await post(m, GEMINI_STREAM, geminiBody(n));
    }
    const turns = m.requests().map((r) => r.turn);
    expect(turns).toEqual([0, 0, 0, 3, 3, 3, 1, 1, 1, 5, 5, 5, 0, 0, 0]);
    expect(m.requests().every((r) => r.kind === "main" && r.status === 200)).toBe(true);
  });

  it("expands repeat and answers past the end of the script with the fallback text", async () => {
    const m = await start("error_loop");
    const cmds: unknown[] = [];
    for (let n = 0; n < 5; n++) {
      const msg = JSON.parse((await post(m, "/v1/messages", anthropicBody(n, false))).text) as { content: { type: string; input?: { command?: string } }[] };
      cmds.push(msg.content.find((b) => b.type === "tool_use")?.input?.command);
    }
    expect(cmds).toEqual(Array(5).fill("git push origin HEAD"));
    const past = JSON.parse((await post(m, "/v1/messages", anthropicBody(9, false))).text) as { content: { text: string }[] };
    expect(past.content[0]?.text).toBe("I am done.");
  });

  it("plays a branch's turns when the conversation contains its marker, for every protocol", async () => {
    const m = await start({
      prompt: "list files",
      turns: [{ repeat: 50, tool: "shell", args: { command: "ls" } }],
      branches: [{ contains: "[recovery]", turns: [{ text: "Recovered." }] }],
    });
    const marked = (body: unknown) => JSON.parse(JSON.stringify(body).replace('"go"', '"go [recovery]"')) as unknown;
    await post(m, "/v1/messages", anthropicBody(3, false));
    await post(m, "/v1/messages", marked(anthropicBody(0, false)));
    await post(m, "/v1/responses", marked(responsesBody(0)));
    await post(m, GEMINI_STREAM, marked(geminiBody(0)));
    const replies = m.requests().map((r) => r.reply);
    expect(replies[0]).toEqual([{ tool: "Bash", input: { command: "ls", description: "Run ls" } }]);
    for (const r of replies.slice(1)) expect(JSON.stringify(r)).toContain("Recovered.");
  });
});

describe("api_error scenario", () => {
  it("serves turn 0, then fails every later request with each provider's status and error body", async () => {
    const m = await start("api_error");
    expect((await post(m, "/v1/messages", anthropicBody(0))).status).toBe(200);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const a = await post(m, "/v1/messages", anthropicBody(1));
      expect(a.status).toBe(529);
      expect(JSON.parse(a.text)).toMatchObject({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
      const o = await post(m, "/v1/responses", responsesBody(1));
      expect(o.status).toBe(500);
      expect(JSON.parse(o.text)).toMatchObject({ error: { type: "server_error", message: "The server had an error while processing your request." } });
      const g = await post(m, GEMINI_STREAM, geminiBody(1));
      expect(g.status).toBe(503);
      expect(JSON.parse(g.text)).toEqual({ error: { code: 503, status: "UNAVAILABLE", message: "The model is overloaded. Please try again later." } });
    }
    const failed = m.requests().filter((r) => r.fail);
    expect(failed.map((r) => r.fail?.attempt)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(failed.map((r) => r.status)).toEqual([529, 500, 503, 529, 500, 503, 529, 500, 503]);
  });

  it("a failure with times recovers; as: sse fails inside a 200 stream", async () => {
    const script: Scenario = {
      prompt: "p",
      turns: [{ text: "after two failures", fail: { status: 500, times: 2, responses: { as: "sse" }, anthropic: { shouldRetry: false } } }],
    };
    const m = await start(script);
    const a1 = await fetch(`${m.url}/v1/messages`, { method: "POST", body: JSON.stringify(anthropicBody(0)) });
    expect(a1.status).toBe(500);
    expect(a1.headers.get("x-should-retry")).toBe("false");
    await a1.text();
    expect((await post(m, "/v1/messages", anthropicBody(0))).status).toBe(500);
    expect((await post(m, "/v1/messages", anthropicBody(0))).status).toBe(200);
    const r = await post(m, "/v1/responses", responsesBody(0));
    expect(r.status).toBe(200);
    expect(parseSse(r.text).map((e) => e.event)).toEqual(["response.created", "response.failed"]);
  });
});

describe("request log", () => {
  it("redacts API keys and summarises the request", async () => {
    const m = await start("success");
    await post(m, "/v1/responses", responsesBody(0));
    await post(m, "/nowhere", {});
    const [main, unknown] = m.requests();
    expect(main?.headers["x-api-key"]).toBe("<redacted>");
    expect(main?.req).toEqual({ model: "gpt-5.5", stream: true, tools: ["exec_command", "apply_patch"] });
    expect(main?.reply?.map((x) => Object.keys(x)[0])).toEqual(["text", "tool"]);
    expect(unknown).toMatchObject({ kind: "unknown", status: 404, path: "/nowhere" });
  });
});

describe("process entry", () => {
  it("writes the port file once listening, logs each request as a JSON line, and stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "awl-mock-"));
    const portFile = join(dir, "port");
    const log = join(dir, "mock.jsonl");
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "server.ts"), "--script", join(SCENARIOS, "success.json"), "--port-file", portFile, "--log", log, "--workdir", dir], { stdio: "ignore" });
    const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!existsSync(portFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      const port = Number(readFileSync(portFile, "utf8"));
      expect(port).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, { method: "POST", body: JSON.stringify(anthropicBody(1, false)) });
      expect((await res.json()) as unknown).toMatchObject({ content: [{ type: "tool_use", name: "Read", input: { file_path: join(dir, "calc.py") } }] });
      const lines = readFileSync(log, "utf8").trim().split("\n");
      expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([{ kind: "main", turn: 1, status: 200, path: "/v1/messages" }]);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      // a failed assertion must not leave the server running
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the copied scenarios load", () => {
    for (const name of ["success", "error_loop", "api_error"]) expect(loadScenario(join(SCENARIOS, `${name}.json`)).turns.length).toBeGreaterThan(1);
  });
});
