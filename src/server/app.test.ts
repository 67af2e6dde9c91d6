import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { alertRecord, importFixtures, recorder, writeAlerts } from "../../test/helpers/server-history.js";
import { useTmpDir } from "../../test/helpers/tmp.js";
import type { AwlEvent } from "../schema/index.js";
import { type AppOptions, type AwlApp, createApp } from "./app.js";
import { checkBind, isLoopback, presentedToken, tokenMatches } from "./auth.js";
import type { AnalyticsQuery, AnalyticsSource } from "./routes/analytics.js";
import { startServer } from "./server.js";

const tmp = useTmpDir("awl-serve-");
const open: AwlApp[] = [];
afterEach(async () => {
  for (const a of open.splice(0)) await a.close();
});

async function app(opts: Partial<AppOptions> & { logDir: string }): Promise<AwlApp> {
  const a = await createApp({ pollMs: 50, ...opts });
  open.push(a);
  return a;
}

async function get(a: AwlApp, path: string, headers: Record<string, string> = {}) {
  const res = await a.app.request(path, { headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body: body as Record<string, unknown> & { error?: string }, headers: res.headers, text };
}

/** Three recorded sessions of two executors, one failed with errors, one still running. */
function history(dir: string) {
  const a = recorder(dir, "att-a", { executor: "CLAUDE", taskId: "t-1", taskTitle: "Fix login" });
  a.start({ prompt: "Fix the login form" });
  a.event("tool_call", { tool_name: "Bash", tool_call_id: "c1", tool_params: { command: "npm test" } });
  a.event("tool_result", { tool_name: "Bash", tool_call_id: "c1", result: "success" });
  a.end({ completion_status: "success", cost_usd: 0.5 });
  a.metrics({ outcome: { status: "completed", pr_merged: true } });
  a.close();
  const b = recorder(dir, "att-b", { executor: "CODEX", taskId: "t-2", startMs: Date.parse("2026-11-21T10:00:00Z") });
  b.start({ prompt: "Add a test" });
  b.error("npm ERR! code ETIMEDOUT", { error_source: "tool" });
  b.error("npm ERR! code ETIMEDOUT", { error_source: "tool" });
  b.end({ completion_status: "failed" });
  b.close();
  const c = recorder(dir, "att-c", { executor: "CLAUDE", taskId: "t-1", startMs: Date.parse("2026-11-22T10:00:00Z") });
  c.start({ prompt: "Still going" });
  c.event("agent_output", { output: "working" });
  c.close();
}

describe("GET /api/health", () => {
  it("tells 'no data yet' from 'log directory unreadable'", async () => {
    const missing = await get(await app({ logDir: join(tmp(), "none") }), "/api/health");
    expect(missing.status).toBe(200);
    expect(missing.body).toMatchObject({ status: "ok", data: "none", sessions: 0 });
    expect(missing.body.message).toMatch(/no data yet/);

    const empty = await get(await app({ logDir: tmp() }), "/api/health");
    expect(empty.body).toMatchObject({ status: "ok", data: "none" });

    const file = join(tmp(), "not-a-dir");
    writeFileSync(file, "x");
    const bad = await get(await app({ logDir: file }), "/api/health");
    expect(bad.status).toBe(503);
    expect(bad.body).toMatchObject({ status: "error", data: "unreadable" });
    expect(bad.body.error).toMatch(/log directory unreadable \(ENOTDIR\)/);

    const dir = tmp();
    history(dir);
    const ok = await get(await app({ logDir: dir }), "/api/health");
    expect(ok.body).toMatchObject({ status: "ok", data: "present", sessions: 3, analytics: "not_configured" });
  });
});

describe("GET /api/sessions", () => {
  it("lists newest first, with filters and paging", async () => {
    const dir = tmp();
    history(dir);
    writeAlerts(dir, [alertRecord({ attempt_id: "att-b" })]);
    const a = await app({ logDir: dir });
    const all = await get(a, "/api/sessions");
    const list = all.body.sessions as { attempt_id: string; status: string; alerts: number; outcome?: string; errors: number }[];
    expect(list.map((s) => s.attempt_id)).toEqual(["att-c", "att-b", "att-a"]);
    expect(list.map((s) => s.status)).toEqual(["running", "failed", "success"]);
    expect(list[1]).toMatchObject({ errors: 2, alerts: 1 });
    expect(list[2]).toMatchObject({ outcome: "completed", cost_usd: 0.5, alerts: 0 });
    expect(all.body.total).toBe(3);

    const ids = async (q: string) => ((await get(a, `/api/sessions?${q}`)).body.sessions as { attempt_id: string }[]).map((s) => s.attempt_id);
    expect(await ids("status=failed")).toEqual(["att-b"]);
    expect(await ids("status=running")).toEqual(["att-c"]);
    expect(await ids("executor=CLAUDE")).toEqual(["att-c", "att-a"]);
    expect(await ids("task=t-1")).toEqual(["att-c", "att-a"]);
    expect(await ids("since=2026-11-21")).toEqual(["att-c", "att-b"]);
    expect(await ids("limit=1&offset=1")).toEqual(["att-b"]);
    expect(await ids("offset=5")).toEqual([]);
  });

  it.each([
    ["status=done", "status"],
    ["limit=0", "limit"],
    ["limit=abc", "limit"],
    ["offset=-1", "offset"],
    ["since=yesterday", "since"],
    ["since=2026-02-30", "since"],
    ["statuss=failed", "statuss"],
  ])("?%s is a 400 naming %s", async (query, parameter) => {
    const r = await get(await app({ logDir: tmp() }), `/api/sessions?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.parameter).toBe(parameter);
    expect(r.body.error).toMatch(new RegExp(`^${parameter}: `));
  });
});

describe("GET /api/sessions/{id}", () => {
  it("gives the summary, the start metadata, merged metrics and the outcome", async () => {
    const dir = tmp();
    history(dir);
    const r = await get(await app({ logDir: dir }), "/api/sessions/att-a");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ attempt_id: "att-a", status: "success", executor: "CLAUDE", task_title: "Fix login", tool_calls: 1 });
    expect(r.body.start).toMatchObject({ data: { prompt: "Fix the login form" } });
    expect(r.body.metrics).toMatchObject({ cost_usd: 0.5, tool_calls: 1, completion_status: "success" });
    expect(r.body.outcome).toEqual({ status: "completed", pr_merged: true });
  });

  it("answers 404 JSON for an unknown session, and an id never reaches outside the log directory", async () => {
    const dir = tmp();
    history(dir);
    mkdirSync(join(dir, "agent-sessions"), { recursive: true });
    writeFileSync(join(dir, "secret.jsonl"), "{}\n");
    const a = await app({ logDir: dir });
    for (const id of ["nope", "..%2Fsecret", "..%2F..%2Fetc%2Fpasswd", "%2E%2E%2Fsecret", "a%00b"]) {
      for (const suffix of ["", "/transcript", "/stream"]) {
        const r = await get(a, `/api/sessions/${id}${suffix}`);
        expect(r.status, `${id}${suffix}`).toBe(404);
        expect(r.body.error).toMatch(/^unknown session/);
      }
    }
  });

  it("finds an attempt whose id has characters unsafe in a file name", async () => {
    const dir = tmp();
    const rec = recorder(dir, "team/run 7");
    rec.start({ prompt: "x" });
    rec.close();
    const a = await app({ logDir: dir });
    const r = await get(a, `/api/sessions/${encodeURIComponent("team/run 7")}/transcript`);
    expect(r.status).toBe(200);
    expect((r.body.events as AwlEvent[])[0]!.attempt_id).toBe("team/run 7");
  });
});

describe("the live streams' parameters", () => {
  it.each([
    ["/api/alerts/stream?bogus=1", {}, "bogus"],
    ["/api/sessions/att-a/stream?afterr=3", {}, "afterr"],
    ["/api/alerts/stream", { "Last-Event-ID": "99999999999999999999999999" }, "Last-Event-ID"],
    ["/api/sessions/att-a/stream", { "Last-Event-ID": "99999999999999999999999999" }, "Last-Event-ID"],
  ])("%s %j is a 400 naming %s, before any stream opens", async (path, headers, parameter) => {
    const dir = tmp();
    history(dir);
    const r = await get(await app({ logDir: dir }), path, headers);
    expect(r.status).toBe(400);
    expect(r.body.parameter).toBe(parameter);
  });
});

describe("GET /api/sessions/{id}/transcript", () => {
  it("pages through a session by cursor without gaps or repeats, and as JSON lines", async () => {
    const dir = tmp();
    const rec = recorder(dir, "long");
    rec.start({ prompt: "go" });
    for (let i = 0; i < 57; i++) rec.event("agent_output", { output: `line ${i}` });
    rec.end({ completion_status: "success" });
    rec.close();
    const a = await app({ logDir: dir });
    const seen: number[] = [];
    let cursor = 0;
    let pages = 0;
    for (;;) {
      const r = await get(a, `/api/sessions/long/transcript?cursor=${cursor}&limit=10`);
      expect(r.status).toBe(200);
      for (const e of r.body.events as AwlEvent[]) seen.push(e.sequence_num);
      cursor = r.body.next_cursor as number;
      pages++;
      if (r.body.done) break;
    }
    expect(seen).toEqual(Array.from({ length: 59 }, (_, i) => i));
    expect(pages).toBe(6);

    const after = await get(a, "/api/sessions/long/transcript?after=55");
    expect((after.body.events as AwlEvent[]).map((e) => e.sequence_num)).toEqual([56, 57, 58]);

    const jsonl = await get(a, "/api/sessions/long/transcript?format=jsonl");
    expect(jsonl.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const lines = jsonl.text.trim().split("\n").map((l) => JSON.parse(l) as AwlEvent);
    expect(lines.map((e) => e.sequence_num)).toEqual(seen);

    expect((await get(a, "/api/sessions/long/transcript?limit=0")).body.parameter).toBe("limit");
    expect((await get(a, "/api/sessions/long/transcript?format=xml")).body.parameter).toBe("format");
    expect((await get(a, "/api/sessions/long/transcript?format=jsonl&limit=5")).body.parameter).toBe("limit");
  });

  it("leaves a line still being written for the next page and counts invalid lines", async () => {
    const dir = tmp();
    const rec = recorder(dir, "torn");
    rec.start({ prompt: "go" });
    rec.close();
    const file = join(dir, "agent-sessions", "torn.jsonl");
    const { appendFileSync } = await import("node:fs");
    appendFileSync(file, 'not json\n{"schema_version":1,"partial');
    const a = await app({ logDir: dir });
    const r = await get(a, "/api/sessions/torn/transcript");
    expect((r.body.events as AwlEvent[]).length).toBe(1);
    expect(r.body.skipped).toBe(1);
    expect(r.body.done).toBe(true);
  });
});

describe("GET /api/alerts", () => {
  it("lists alerts newest first with their actions, filtered, with the stream cursor", async () => {
    const dir = tmp();
    const one = alertRecord({ attempt_id: "att-a" });
    const two = alertRecord({ attempt_id: "att-b", type: "tool_loop", severity: "warning", recommendation: "fresh_session", last_seen: "2026-11-21T10:00:00.000Z" });
    writeAlerts(dir, [
      one,
      two,
      { record_type: "action", timestamp: "2026-11-20T10:06:00.000Z", alert_id: one.alert_id, attempt_id: "att-a", action: "notify", status: "ok", detail: "telegram" },
    ]);
    const a = await app({ logDir: dir });
    const r = await get(a, "/api/alerts");
    const alerts = r.body.alerts as { alert_id: string; actions: unknown[] }[];
    expect(alerts.map((x) => x.alert_id)).toEqual([two.alert_id, one.alert_id]);
    expect(alerts[1]!.actions).toEqual([expect.objectContaining({ action: "notify", status: "ok" })]);
    expect(r.body.cursor).toBeGreaterThan(0);
    const ids = async (q: string) => ((await get(a, `/api/alerts?${q}`)).body.alerts as { alert_id: string }[]).map((x) => x.alert_id);
    expect(await ids("attempt_id=att-a")).toEqual([one.alert_id]);
    expect(await ids("type=tool_loop")).toEqual([two.alert_id]);
    expect(await ids("severity=warning")).toEqual([two.alert_id]);
    expect(await ids("since=2026-11-21")).toEqual([two.alert_id]);
    expect(await ids("limit=1")).toEqual([two.alert_id]);
    expect((await get(a, "/api/alerts?limit=x")).body.parameter).toBe("limit");
    // A filter value no alert can have is a mistake, not an empty list.
    for (const q of ["type=bogus", "severity=fatal", "since=2026-02-30"]) {
      const bad = await get(a, `/api/alerts?${q}`);
      expect(bad.status, q).toBe(400);
      expect(bad.body.parameter, q).toBe(q.split("=")[0]);
    }
    expect((await get(await app({ logDir: tmp() }), "/api/alerts")).body).toMatchObject({ alerts: [], total: 0, cursor: 0 });
  });
});

describe("alerts on two lines, history in archives", () => {
  it("shows an alert raised twice (awl run and awl watch) once, with the actions of both lines, and counts it once", async () => {
    const dir = tmp();
    history(dir);
    const one = alertRecord({ attempt_id: "att-b" });
    writeAlerts(dir, [
      { record_type: "action", timestamp: "2026-11-20T10:05:30.000Z", alert_id: one.alert_id, attempt_id: "att-b", action: "intervene", status: "ok" },
      one,
      { record_type: "action", timestamp: "2026-11-20T10:06:00.000Z", alert_id: one.alert_id, attempt_id: "att-b", action: "notify", status: "ok", detail: "telegram" },
      { ...one, timestamp: "2026-11-20T10:07:00.000Z", message: "raised again by the other process" },
      { record_type: "action", timestamp: "2026-11-20T10:08:00.000Z", alert_id: "al-nowhere", attempt_id: "att-b", action: "notify", status: "failed" },
    ]);
    const a = await app({ logDir: dir });
    const r = await get(a, "/api/alerts");
    const alerts = r.body.alerts as { alert_id: string; message: string; actions: { action: string }[] }[];
    expect(r.body.total).toBe(1);
    expect(alerts.map((x) => [x.alert_id, x.message])).toEqual([[one.alert_id, one.message]]);
    expect(alerts[0]!.actions.map((x) => x.action)).toEqual(["intervene", "notify"]);
    const sessions = (await get(a, "/api/sessions")).body.sessions as { attempt_id: string; alerts: number }[];
    expect(sessions.find((x) => x.attempt_id === "att-b")!.alerts).toBe(1);
  });

  it("lists sessions and alerts that exist only in rotated archives (plain and compressed)", async () => {
    const { loadConfig } = await import("../config/index.js");
    const { rotateLogs } = await import("../store/rotate.js");
    const dir = tmp();
    const config = loadConfig({ env: { AGENT_WORK_LOG_DIR: dir }, cwd: dir });
    config.rotation.gzipGraceMs = 0;
    const old = recorder(dir, "archived-gz", { executor: "CODEX" });
    old.start({ prompt: "old" });
    old.end({ completion_status: "success" });
    old.close();
    const archivedAlert = alertRecord({ attempt_id: "archived-gz" });
    writeAlerts(dir, [archivedAlert]);
    await rotateLogs(config, { force: true, now: Date.parse("2026-11-24T00:00:00Z") });
    config.rotation.gzipGraceMs = 3_600_000;
    const mid = recorder(dir, "archived-plain", { executor: "CLAUDE" });
    mid.start({ prompt: "mid" });
    mid.close();
    await rotateLogs(config, { force: true, now: Date.parse("2026-11-25T00:00:00Z") });
    const live = recorder(dir, "live-one", { executor: "GEMINI" });
    live.start({ prompt: "now" });
    live.close();
    writeAlerts(dir, [{ ...archivedAlert, timestamp: "2026-11-25T01:00:00.000Z" }]);
    const a = await app({ logDir: dir });
    const sessions = (await get(a, "/api/sessions")).body.sessions as { attempt_id: string; alerts: number }[];
    expect(sessions.map((x) => x.attempt_id).sort()).toEqual(["archived-gz", "archived-plain", "live-one"]);
    expect(sessions.find((x) => x.attempt_id === "archived-gz")!.alerts).toBe(1);
    expect((await get(a, "/api/health")).body.sessions).toBe(3);
    const alerts = (await get(a, "/api/alerts")).body;
    expect(alerts.total).toBe(1);
    expect((alerts.alerts as { alert_id: string }[])[0]!.alert_id).toBe(archivedAlert.alert_id);
  });
});

describe("GET /api/analytics/*", () => {
  it("answers 503 with a clear error when no analytics source is configured", async () => {
    const a = await app({ logDir: tmp() });
    for (const view of ["errors", "executors", "backlog", "planning", "timeseries"]) {
      const r = await get(a, `/api/analytics/${view}`);
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ code: "analytics_unavailable" });
    }
  });

  it("passes the validated query to the source and returns its answer", async () => {
    const calls: [string, AnalyticsQuery][] = [];
    const double = Object.fromEntries(
      ["errors", "executors", "backlog", "planning", "timeseries"].map((v) => [
        v,
        async (q: AnalyticsQuery) => {
          calls.push([v, q]);
          if (q.project === "boom") throw new Error("duckdb went away");
          return { meta: { view: v }, rows: [{ n: 1 }] };
        },
      ]),
    ) as unknown as AnalyticsSource;
    const a = await app({ logDir: tmp(), analytics: double });
    const r = await get(a, "/api/analytics/timeseries?days=7&bucket=day&executor=CLAUDE&model=m&project=p&limit=5");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ meta: { view: "timeseries" }, rows: [{ n: 1 }] });
    expect(calls.at(-1)).toEqual(["timeseries", { days: 7, bucket: "day", executor: "CLAUDE", model: "m", project: "p", limit: 5 }]);
    await get(a, "/api/analytics/errors?since=2026-11-01&until=2026-11-20T12:00:00Z");
    expect(calls.at(-1)).toEqual(["errors", { since: "2026-11-01T00:00:00.000Z", until: "2026-11-20T12:00:00.000Z" }]);
    const failed = await get(a, "/api/analytics/backlog?project=boom");
    expect(failed.status).toBe(500);
    expect(failed.body.error).toMatch(/duckdb went away/);
    expect((await get(a, "/api/analytics/nope")).status).toBe(404);
  });

  it.each([
    ["days=0", "days"],
    ["days=x", "days"],
    ["since=2026-13-45", "since"],
    ["until=soon", "until"],
    ["bucket=minute", "bucket"],
    ["limit=100000", "limit"],
    ["executor=", "executor"],
    ["days=3&since=2026-11-01", "days"],
    ["since=2026-11-10&until=2026-11-01", "until"],
    ["dayz=3", "dayz"],
  ])("?%s is a 400 naming %s (before asking the source)", async (query, parameter) => {
    const a = await app({ logDir: tmp() });
    const r = await get(a, `/api/analytics/errors?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.parameter).toBe(parameter);
  });
});

describe("the token rule", () => {
  const token = "t0ken-0123456789abcdef";

  it("requires the bearer token on every API endpoint when one is set", async () => {
    const dir = tmp();
    history(dir);
    const a = await app({ logDir: dir, token });
    for (const path of ["/api/health", "/api/sessions", "/api/sessions/att-a", "/api/alerts", "/api/openapi.json", "/api/analytics/errors"]) {
      expect((await get(a, path)).status, path).toBe(401);
      expect((await get(a, path, { Authorization: "Bearer wrong-token-0123456789" })).status, path).toBe(401);
      expect((await get(a, path, { Authorization: token })).status, path).toBe(401);
      expect((await get(a, path, { Authorization: `Bearer ${token}` })).status, path).not.toBe(401);
    }
    const denied = await get(a, "/api/sessions");
    expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(denied.text).not.toContain(token);
  });

  it("lets the dashboard sign in once with /?token= (an HttpOnly cookie), and refuses a wrong one", async () => {
    const a = await app({ logDir: tmp(), token });
    const wrong = await a.app.request("/?token=nope");
    expect(wrong.status).toBe(401);
    const ok = await a.app.request(`/?token=${token}`);
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/");
    const cookie = ok.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const withCookie = await get(a, "/api/health", { Cookie: cookie.split(";")[0]! });
    expect(withCookie.status).toBe(200);
  });

  it("answers a cookie that is not valid percent-encoding with 401, not 500", async () => {
    const a = await app({ logDir: tmp(), token });
    for (const cookie of ["awl_token=%", "awl_token=%E0%A4%A"]) {
      const r = await get(a, "/api/health", { Cookie: cookie });
      expect(r.status, cookie).toBe(401);
      expect(r.body.error).toMatch(/missing or wrong token/);
    }
    expect((await get(a, "/api/health")).status).toBe(401);
  });

  it("compares tokens by digest and reads them from the header or the cookie", () => {
    expect(tokenMatches("abc", "abc")).toBe(true);
    expect(tokenMatches("abc", "abcd")).toBe(false);
    expect(tokenMatches("abc", undefined)).toBe(false);
    expect(presentedToken("Bearer xyz", undefined)).toBe("xyz");
    expect(presentedToken("bearer   xyz", undefined)).toBe("xyz");
    expect(presentedToken("Basic xyz", "awl_token=abc")).toBeUndefined();
    expect(presentedToken(undefined, "a=1; awl_token=abc%20d")).toBe("abc d");
  });

  it.each([
    ["127.0.0.1", true],
    ["127.8.9.1", true],
    ["localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.5", false],
    ["example.com", false],
  ])("%s is loopback: %s", (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
    if (loopback) expect(() => checkBind(host, undefined)).not.toThrow();
    else expect(() => checkBind(host, undefined)).toThrow(/^refusing to listen on .* without a token: pass --token or set AWL_SERVE_TOKEN/);
    expect(() => checkBind(host, token)).not.toThrow();
  });

  it("refuses to start on a non-loopback address without a token, binding nothing", async () => {
    await expect(startServer({ logDir: tmp(), host: "0.0.0.0", port: 0 })).rejects.toThrow(/^refusing to listen on 0\.0\.0\.0 without a token/);
  });

  it("on loopback answers only to loopback host names (no DNS rebinding)", async () => {
    const a = await app({ logDir: tmp(), host: "127.0.0.1" });
    expect((await get(a, "/api/health", { Host: "evil.example:7777" })).status).toBe(421);
    expect((await get(a, "/api/health", { Host: "127.0.0.1:7777" })).status).toBe(200);
    expect((await get(a, "/api/health", { Host: "localhost:7777" })).status).toBe(200);
    expect((await get(a, "/api/health", { Host: "[::1]:7777" })).status).toBe(200);
  });
});

describe("the dashboard's files and the API document", () => {
  it("serves the page, its script, its styles and Chart.js with a strict Content-Security-Policy", async () => {
    const a = await app({ logDir: tmp() });
    const page = await a.app.request("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/<script>[^<]/); // no inline script
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
    for (const [path, type] of [
      ["/assets/app.js", /javascript/],
      ["/assets/app.css", /text\/css/],
      ["/assets/chart.umd.min.js", /javascript/],
    ] as const) {
      const r = await a.app.request(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-type")).toMatch(type);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect((await a.app.request("/assets/../app.ts")).status).toBe(404);
    expect(await (await a.app.request("/assets/app.js")).text()).not.toMatch(/innerHTML|insertAdjacentHTML|outerHTML|document\.write/);
  });

  it("describes every API route in the OpenAPI document, and unknown API paths are 404 JSON", async () => {
    const a = await app({ logDir: tmp() });
    const doc = (await get(a, "/api/openapi.json")).body as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    const documented = Object.keys(doc.paths);
    const routes = new Set(
      a.app.routes
        .filter((r) => r.method === "GET" && r.path.startsWith("/api/") && !r.path.includes("*"))
        .map((r) => r.path.replace(/:(\w+)/g, "{$1}").replace("{view}", "")),
    );
    for (const r of routes) {
      if (r.endsWith("/analytics/")) continue;
      expect(documented, r).toContain(r);
    }
    for (const v of ["errors", "executors", "backlog", "planning", "timeseries"]) expect(documented).toContain(`/api/analytics/${v}`);
    const none = await get(a, "/api/nothing-here");
    expect(none.status).toBe(404);
    expect(none.body.error).toMatch(/no such endpoint/);
  });
});

describe("a real imported transcript", () => {
  it("lists the imported sessions and serves each one's tool calls", async () => {
    const dir = tmp();
    await importFixtures(dir, ["claude/success", "codex/success"]);
    const a = await app({ logDir: dir });
    const list = (await get(a, "/api/sessions")).body.sessions as { attempt_id: string; executor: string; tool_calls: number }[];
    expect(list.map((s) => s.executor).sort()).toEqual(["CLAUDE", "CODEX"]);
    for (const s of list) {
      const t = await get(a, `/api/sessions/${encodeURIComponent(s.attempt_id)}/transcript?limit=10000`);
      const calls = (t.body.events as AwlEvent[]).filter((e) => e.event_type === "tool_call");
      expect(calls.length).toBe(s.tool_calls);
      expect(calls.length).toBeGreaterThan(0);
    }
  });
});
