import { afterEach, describe, expect, it } from "vitest";
import { alertRecord, recorder, writeAlerts } from "../../test/helpers/server-history.js";
import { connectSse, type SseConnection } from "../../test/helpers/sse.js";
import { useTmpDir } from "../../test/helpers/tmp.js";
import type { AwlEvent } from "../schema/index.js";
import { type RunningServer, startServer } from "./server.js";

const tmp = useTmpDir("awl-sse-");
const servers: RunningServer[] = [];
const conns: SseConnection[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function serve(logDir: string, extra: { heartbeatMs?: number; token?: string } = {}): Promise<RunningServer> {
  const s = await startServer({ logDir, host: "127.0.0.1", port: 0, pollMs: 50, heartbeatMs: extra.heartbeatMs ?? 60_000, token: extra.token });
  servers.push(s);
  return s;
}

async function sse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const c = await connectSse(url, headers);
  conns.push(c);
  return c;
}

const seqs = (c: SseConnection) => c.messages.filter((m) => m.event === "message").map((m) => (JSON.parse(m.data) as AwlEvent).sequence_num);

describe("GET /api/sessions/{id}/stream", () => {
  it("sends the session so far, then live events with id = sequence_num, then `end` after session_end, and closes", async () => {
    const dir = tmp();
    const rec = recorder(dir, "live-1");
    rec.start({ prompt: "go" });
    rec.event("agent_output", { output: "one" });
    const s = await serve(dir);
    const c = await sse(`${s.url}/api/sessions/live-1/stream`);
    expect(c.status).toBe(200);
    await c.until((m) => m.length >= 2);
    expect(c.messages.map((m) => m.id)).toEqual(["0", "1"]);
    rec.event("tool_call", { tool_name: "Bash", tool_call_id: "x", tool_params: { command: "ls" } });
    rec.event("tool_result", { tool_call_id: "x", result: "success", result_data: "a\nb" });
    await c.until((m) => m.length >= 4);
    rec.end({ completion_status: "success" });
    rec.close();
    await c.closed;
    expect(seqs(c)).toEqual([0, 1, 2, 3, 4]);
    expect(c.messages.at(-1)!.event).toBe("end");
    expect((JSON.parse(c.messages.at(-2)!.data) as AwlEvent).event_type).toBe("session_end");
  });

  it("resumes after Last-Event-ID (or ?after=) without gaps or repeats", async () => {
    const dir = tmp();
    const rec = recorder(dir, "resume");
    rec.start({ prompt: "go" });
    for (let i = 0; i < 5; i++) rec.event("agent_output", { output: `o${i}` });
    const s = await serve(dir);
    const first = await sse(`${s.url}/api/sessions/resume/stream`);
    await first.until((m) => m.length >= 6);
    const lastId = first.messages.at(-1)!.id!;
    expect(lastId).toBe("5");
    first.close();
    // Written while disconnected.
    for (let i = 5; i < 9; i++) rec.event("agent_output", { output: `o${i}` });
    const again = await sse(`${s.url}/api/sessions/resume/stream`, { "Last-Event-ID": lastId });
    await again.until((m) => m.length >= 4);
    rec.event("agent_output", { output: "live" });
    await again.until((m) => m.length >= 5);
    expect(seqs(again)).toEqual([6, 7, 8, 9, 10]);
    const byQuery = await sse(`${s.url}/api/sessions/resume/stream?after=8`);
    await byQuery.until((m) => m.length >= 2);
    expect(seqs(byQuery)).toEqual([9, 10]);
    const bad = await fetch(`${s.url}/api/sessions/resume/stream`, { headers: { "Last-Event-ID": "abc" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { parameter: string }).parameter).toBe("Last-Event-ID");
    rec.close();
  });

  it("a client resuming after session_end gets `end` at once", async () => {
    const dir = tmp();
    const rec = recorder(dir, "done");
    rec.start({ prompt: "go" });
    rec.end({ completion_status: "failed" });
    rec.close();
    const s = await serve(dir);
    const c = await sse(`${s.url}/api/sessions/done/stream`, { "Last-Event-ID": "1" });
    await c.closed;
    expect(c.messages.map((m) => m.event)).toEqual(["end"]);
  });

  it("gives every one of several clients the whole sequence while events are being written", async () => {
    const dir = tmp();
    const rec = recorder(dir, "fan");
    rec.start({ prompt: "go" });
    const s = await serve(dir);
    const clients: SseConnection[] = [];
    for (let i = 0; i < 5; i++) {
      clients.push(await sse(`${s.url}/api/sessions/fan/stream`));
      for (let j = 0; j < 20; j++) rec.event("agent_output", { output: `c${i} e${j}` });
    }
    rec.end({ completion_status: "success" });
    rec.close();
    for (const c of clients) {
      await c.closed;
      expect(seqs(c)).toEqual(Array.from({ length: 102 }, (_, i) => i));
    }
  });

  it("sends heartbeat comments on the configured interval", async () => {
    const dir = tmp();
    const rec = recorder(dir, "hb");
    rec.start({ prompt: "go" });
    rec.close();
    const s = await serve(dir, { heartbeatMs: 20 });
    const c = await sse(`${s.url}/api/sessions/hb/stream`);
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (c.comments.filter((x) => x === "heartbeat").length >= 2) {
          clearInterval(t);
          resolve();
        }
      }, 10);
    });
    expect(c.comments.filter((x) => x === "heartbeat").length).toBeGreaterThanOrEqual(2);
  });

  it("answers 404 for an unknown session and 401 without the token", async () => {
    const dir = tmp();
    const s = await serve(dir);
    expect((await fetch(`${s.url}/api/sessions/none/stream`)).status).toBe(404);
    const token = "a-token-of-some-length";
    const t = await serve(dir, { token });
    expect((await fetch(`${t.url}/api/alerts/stream`)).status).toBe(401);
    const ok = await sse(`${t.url}/api/alerts/stream`, { Authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
  });
});

describe("GET /api/alerts/stream", () => {
  it("streams alerts and actions as written; the id (a byte offset) resumes without gaps or repeats", async () => {
    const dir = tmp();
    const a1 = alertRecord({ attempt_id: "x" });
    writeAlerts(dir, [a1]);
    const s = await serve(dir);
    const list = (await (await fetch(`${s.url}/api/alerts`)).json()) as { cursor: number };
    const c = await sse(`${s.url}/api/alerts/stream?after=${list.cursor}`);
    await c.until(() => c.comments.includes("connected"));
    const a2 = alertRecord({ attempt_id: "y" });
    writeAlerts(dir, [a2, { record_type: "action", timestamp: "2026-11-20T10:06:00.000Z", alert_id: a2.alert_id, attempt_id: "y", action: "notify", status: "ok" }]);
    await c.until((m) => m.length >= 2);
    expect(c.messages.map((m) => m.event)).toEqual(["alert", "action"]);
    expect(JSON.parse(c.messages[0]!.data).alert_id).toBe(a2.alert_id);
    const firstId = c.messages[0]!.id!;
    c.close();
    const a3 = alertRecord({ attempt_id: "z" });
    writeAlerts(dir, [a3]);
    const again = await sse(`${s.url}/api/alerts/stream`, { "Last-Event-ID": firstId });
    await again.until((m) => m.length >= 2);
    expect(again.messages.map((m) => (JSON.parse(m.data) as { record_type: string; alert_id: string }).alert_id)).toEqual([a2.alert_id, a3.alert_id]);
    expect(again.messages.map((m) => m.event)).toEqual(["action", "alert"]);
  });
});

describe("GET /api/alerts/stream, an alert on two lines", () => {
  it("sends an alert once even when it is written again (before or after the client's offset)", async () => {
    const dir = tmp();
    const a1 = alertRecord({ attempt_id: "x" });
    writeAlerts(dir, [a1]);
    const s = await serve(dir);
    const c = await sse(`${s.url}/api/alerts/stream?after=0`);
    const a2 = alertRecord({ attempt_id: "y" });
    writeAlerts(dir, [{ ...a1, timestamp: "2026-11-20T10:09:00.000Z" }, a2, { ...a2, timestamp: "2026-11-20T10:09:00.000Z" }]);
    writeAlerts(dir, [{ record_type: "action", timestamp: "2026-11-20T10:10:00.000Z", alert_id: a2.alert_id, attempt_id: "y", action: "notify", status: "ok" }]);
    await c.until((m) => m.some((x) => x.event === "action"));
    expect(c.messages.map((m) => [m.event, (JSON.parse(m.data) as { alert_id: string }).alert_id])).toEqual([
      ["alert", a1.alert_id],
      ["alert", a2.alert_id],
      ["action", a2.alert_id],
    ]);
    // Resuming after a2's first line: its second line is not sent again.
    const again = await sse(`${s.url}/api/alerts/stream`, { "Last-Event-ID": c.messages[1]!.id! });
    const a3 = alertRecord({ attempt_id: "z" });
    writeAlerts(dir, [a3]);
    await again.until((m) => m.some((x) => JSON.parse(x.data).alert_id === a3.alert_id));
    expect(again.messages.map((m) => [m.event, (JSON.parse(m.data) as { alert_id: string }).alert_id])).toEqual([
      ["action", a2.alert_id],
      ["alert", a3.alert_id],
    ]);
  });
});

describe("GET /api/stream", () => {
  it("sends a session's updated summary as its events arrive", async () => {
    const dir = tmp();
    const s = await serve(dir);
    const c = await sse(`${s.url}/api/stream`);
    await c.until(() => c.comments.includes("connected"));
    const rec = recorder(dir, "new-one", { executor: "GEMINI" });
    rec.start({ prompt: "go" });
    rec.error("boom");
    const got = await c.until((m) => m.some((x) => JSON.parse(x.data).errors === 1));
    const last = JSON.parse(got.at(-1)!.data);
    expect(last).toMatchObject({ attempt_id: "new-one", executor: "GEMINI", status: "running", errors: 1 });
    rec.close();
  });
});
