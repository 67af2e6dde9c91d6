import { appendFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeAlert } from "../../../test/helpers/alerts.js";
import { type FakeBotApi, startFakeBotApi } from "../../../test/helpers/fake-bot-api.js";
import { useTmpDir } from "../../../test/helpers/tmp.js";
import { type AwlConfig, loadConfig } from "../../config/index.js";
import type { Alert, AlertActionRecord } from "../../schema/alert.js";
import { logPaths } from "../../store/paths.js";
import { readLines } from "../../store/reader.js";
import { rotateLogs } from "../../store/rotate.js";
import { signBody } from "../notify/webhook.js";
import { type PipelineEvent, runActionPipeline } from "./pipeline.js";

const tmp = useTmpDir();
const TOKEN = "4242:test-token";
let api: FakeBotApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

function setup(over: (c: AwlConfig) => void = () => undefined) {
  const dir = tmp();
  const config = loadConfig({ env: { AGENT_WORK_LOG_DIR: dir }, cwd: dir });
  config.notify.telegram = { botToken: TOKEN, chatId: "-100777", apiBase: api!.url };
  config.rotation.gzipGraceMs = 0;
  config.notify.maxAgeMinutes = 0; // fixed event times below; the age limit has its own test
  over(config);
  return { dir, config, paths: logPaths(dir) };
}

function raise(dir: string, ...alerts: Alert[]) {
  appendFileSync(logPaths(dir).alerts, alerts.map((a) => `${JSON.stringify(a)}\n`).join(""));
}

async function actions(dir: string): Promise<AlertActionRecord[]> {
  const out: AlertActionRecord[] = [];
  for await (const batch of readLines(logPaths(dir).alerts))
    for (const l of batch) {
      if (!l.startsWith("{")) continue; // the invalid lines a test wrote on purpose
      const r = JSON.parse(l);
      if (r.record_type === "action") out.push(r);
    }
  return out;
}

const nowIso = () => new Date().toISOString();

describe("runActionPipeline (once)", () => {
  it("sends each alert to Telegram (escaped, split) and the webhook (signed), runs the hook, records every action, and never twice", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config } = setup((c) => {
      c.notify.webhook = { url: `${api!.url}/hook`, secret: "whsec" };
      c.hooks.onAlert = { command: [process.execPath, "-e", "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).alert_id, process.env.AWL_ALERT_TYPE))"] };
    });
    const long = Array.from({ length: 300 }, (_, i) => `Error <${i}> at /src/a&b.ts:${i}`).join("\n");
    raise(
      dir,
      makeAlert({ alert_id: "A1", timestamp: nowIso(), message: "x < y & z" }),
      makeAlert({ alert_id: "A2", timestamp: nowIso(), task_id: "task-8", message: long }),
      makeAlert({ alert_id: "A3", timestamp: nowIso(), task_id: "task-9", severity: "info", type: "stuck", recommendation: "check_agent" }),
    );
    const stats = await runActionPipeline({ config, once: true });
    expect(stats).toMatchObject({ alerts: 3, sent: 4, failed: 0, hooks: 3 });

    const tg = api.received.filter((r) => r.path === `/bot${TOKEN}/sendMessage`);
    const texts = tg.map((r) => r.body.text as string);
    expect(texts[0]).toContain("x &lt; y &amp; z");
    const a2parts = texts.slice(1);
    expect(a2parts.length).toBeGreaterThan(1);
    for (const t of a2parts) expect(t.length).toBeLessThanOrEqual(4096);
    expect(a2parts.join("\n")).toContain("Error &lt;299&gt; at /src/a&amp;b.ts:299");
    for (const r of tg) expect(r.body).toMatchObject({ chat_id: "-100777", parse_mode: "HTML" });
    expect(texts.some((t) => t.includes("stuck"))).toBe(false); // info: below the default route

    const hooks = api.received.filter((r) => r.path === "/hook");
    expect(hooks).toHaveLength(2);
    for (const h of hooks) expect(h.headers["x-awl-signature"]).toBe(signBody("whsec", h.raw));

    const recs = await actions(dir);
    const by = (a: string, kind: string) => recs.filter((r) => r.alert_id === a && r.action === kind);
    // Channels are delivered side by side: their records come in either order.
    expect(by("A1", "notify").map((r) => [r.status, r.detail?.split(" ")[0]]).sort()).toEqual([
      ["ok", "telegram"],
      ["ok", "webhook"],
    ]);
    expect(by("A2", "notify").find((r) => r.detail?.startsWith("telegram"))!.detail).toMatch(/\(\d+ parts\)$/);
    expect(by("A1", "hook")[0]).toMatchObject({ status: "ok", exit_code: 0, stdout: "A1 error_loop\n" });
    expect(by("A3", "hook")).toHaveLength(1);
    expect(JSON.stringify(recs)).not.toContain(TOKEN);

    // Again: nothing new is sent, nothing recorded twice.
    const n = api.received.length;
    const again = await runActionPipeline({ config, once: true });
    expect(again.sent + again.queued).toBe(0);
    expect(api.received.length).toBe(n);
    expect((await actions(dir)).length).toBe(recs.length);
  });

  it("keeps a flapping task quiet within the cooldown (event time) and records the skip", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config } = setup();
    const at = (min: number) => new Date(Date.parse("2026-11-25T10:00:00Z") + min * 60_000).toISOString();
    raise(
      dir,
      makeAlert({ alert_id: "F1", timestamp: nowIso(), first_seen: at(0), last_seen: at(0) }),
      makeAlert({ alert_id: "F2", timestamp: nowIso(), first_seen: at(5), last_seen: at(5) }),
      makeAlert({ alert_id: "F3", timestamp: nowIso(), first_seen: at(40), last_seen: at(40) }),
    );
    const stats = await runActionPipeline({ config, once: true });
    expect(stats).toMatchObject({ sent: 2, skipped: 1 });
    const recs = await actions(dir);
    expect(recs.find((r) => r.alert_id === "F2")).toMatchObject({ action: "notify", status: "skipped", detail: expect.stringMatching(/^telegram: cooldown/) });
  });

  it("records alerts whose last event is older than notify.maxAgeMinutes as skipped (replayed history pages nobody), once", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config } = setup((c) => {
      c.notify.maxAgeMinutes = 60;
      c.notify.webhook = { url: `${api!.url}/hook` };
      c.hooks.onAlert = { command: [process.execPath, "-e", ""] };
    });
    const now = Date.parse("2026-11-25T12:00:00Z");
    const at = (min: number) => new Date(now - min * 60_000).toISOString();
    // The line's own timestamp is recent (a replay writes it now): only the event time counts.
    raise(
      dir,
      makeAlert({ alert_id: "old", task_id: "t-old", timestamp: at(0), first_seen: at(90 * 24 * 60), last_seen: at(90 * 24 * 60) }),
      makeAlert({ alert_id: "edge", task_id: "t-edge", timestamp: at(0), first_seen: at(61), last_seen: at(61) }),
      makeAlert({ alert_id: "fresh", task_id: "t-fresh", timestamp: at(0), first_seen: at(59), last_seen: at(59) }),
    );
    appendFileSync(logPaths(dir).alerts, 'not json\n{"record_type":"alert"}\n');
    const stats = await runActionPipeline({ config, once: true, now: () => now });
    expect(stats).toMatchObject({ alerts: 3, stale: 2, invalid: 2, sent: 2, hooks: 1, skipped: 6 });
    expect(api.received).toHaveLength(2);
    for (const r of api.received) expect(String(r.body.text)).toContain("t-fresh");
    const recs = await actions(dir);
    const skipped = recs.filter((r) => r.status === "skipped");
    expect(skipped.map((r) => `${r.alert_id} ${r.action} ${r.detail}`).sort()).toEqual([
      "edge hook hook: stale: last event 61 min ago (notify.maxAgeMinutes 60)",
      "edge notify telegram: stale: last event 61 min ago (notify.maxAgeMinutes 60)",
      "edge notify webhook: stale: last event 61 min ago (notify.maxAgeMinutes 60)",
      "old hook hook: stale: last event 90 d ago (notify.maxAgeMinutes 60)",
      "old notify telegram: stale: last event 90 d ago (notify.maxAgeMinutes 60)",
      "old notify webhook: stale: last event 90 d ago (notify.maxAgeMinutes 60)",
    ]);
    // Read again from the start (state lost): nothing is recorded twice.
    const { rmSync } = await import("node:fs");
    rmSync(join(logPaths(dir).state, "actions.json"));
    const again = await runActionPipeline({ config, once: true, now: () => now });
    expect(again.skipped).toBe(0);
    expect((await actions(dir)).length).toBe(recs.length);
  });

  it("maxAgeMinutes 0 sends an alert of any age", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config } = setup();
    raise(dir, makeAlert({ alert_id: "ancient", timestamp: "2020-01-01T00:00:00.000Z", last_seen: "2020-01-01T00:00:00.000Z" }));
    expect(await runActionPipeline({ config, once: true })).toMatchObject({ stale: 0, sent: 1 });
  });
});

describe("runActionPipeline (following)", () => {
  async function until(events: PipelineEvent[], pred: (e: PipelineEvent) => boolean, n = 1) {
    await expect.poll(() => events.filter(pred).length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(n);
  }

  it("honours a 429's retry_after and retries 5xx with backoff; the message arrives once", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    api.script({ status: 429, retryAfter: 1 }, { status: 500 }, { status: 502 });
    const { dir, config } = setup();
    const events: PipelineEvent[] = [];
    const controller = new AbortController();
    const run = runActionPipeline({ config, signal: controller.signal, backoffBaseMs: 20, onEvent: (e) => events.push(e) });
    const t0 = Date.now();
    raise(dir, makeAlert({ alert_id: "R1", timestamp: nowIso() }));
    await until(events, (e) => e.type === "sent");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000); // waited retry_after
    expect(events.filter((e) => e.type === "retry")).toHaveLength(3);
    controller.abort();
    await run;
    expect(api.received).toHaveLength(4);
    expect(api.messages()).toHaveLength(1);
    expect((await actions(dir)).find((r) => r.alert_id === "R1")).toMatchObject({ status: "ok", attempts: 4 });
  });

  it("a slow hook holds up only its own queue: the notification goes out meanwhile", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config } = setup((c) => {
      c.hooks.onAlert = { command: [process.execPath, "-e", "setTimeout(() => {}, 3000)"], timeoutMs: 10_000 };
    });
    const events: PipelineEvent[] = [];
    const controller = new AbortController();
    const run = runActionPipeline({ config, signal: controller.signal, onEvent: (e) => events.push(e) });
    raise(dir, makeAlert({ alert_id: "H1", timestamp: nowIso() }));
    await until(events, (e) => e.type === "sent" && e.kind === "telegram");
    expect(events.some((e) => e.type === "sent" && e.kind === "hook")).toBe(false);
    await until(events, (e) => e.type === "sent" && e.kind === "hook");
    controller.abort();
    await run;
  });

  it("gives up after notify.maxAttempts and records it; a final 4xx is not retried", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    api.script({ status: 500 }, { status: 500 }, { status: 400, description: "Bad Request: chat not found" });
    const { dir, config } = setup((c) => (c.notify.maxAttempts = 2));
    const events: PipelineEvent[] = [];
    const controller = new AbortController();
    const run = runActionPipeline({ config, signal: controller.signal, backoffBaseMs: 10, onEvent: (e) => events.push(e) });
    raise(dir, makeAlert({ alert_id: "G1", timestamp: nowIso() }));
    await until(events, (e) => e.type === "failed");
    raise(dir, makeAlert({ alert_id: "G2", task_id: "other", timestamp: nowIso() }));
    await until(events, (e) => e.type === "failed", 2);
    controller.abort();
    await run;
    const recs = await actions(dir);
    expect(recs.find((r) => r.alert_id === "G1")).toMatchObject({ status: "failed", error: "gave up after 2 attempts: telegram: HTTP 500: Internal Server Error" });
    expect(recs.find((r) => r.alert_id === "G2")).toMatchObject({ status: "failed", error: "telegram: HTTP 400: Bad Request: chat not found", attempts: 1 });
    expect(readdirSync(join(logPaths(dir).state, "outbox", "failed"))).toHaveLength(2);
  });

  it("follows the alert log across a rotation, and after a rotation while it was down reads the archive", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config } = setup((c) => (c.notify.cooldownMinutes = 0));
    const events: PipelineEvent[] = [];
    let controller = new AbortController();
    let run = runActionPipeline({ config, signal: controller.signal, onEvent: (e) => events.push(e) });
    raise(dir, makeAlert({ alert_id: "B1", task_id: "task-B1", timestamp: nowIso() }));
    await until(events, (e) => e.type === "sent");
    await rotateLogs(config, { force: true });
    raise(dir, makeAlert({ alert_id: "B2", task_id: "task-B2", timestamp: nowIso() }));
    await until(events, (e) => e.type === "sent", 2);
    controller.abort();
    await run;

    // Down: an alert lands in the live file, which is then rotated away, and one in the new file.
    raise(dir, makeAlert({ alert_id: "B3", task_id: "task-B3", timestamp: nowIso() }));
    await rotateLogs(config, { force: true });
    raise(dir, makeAlert({ alert_id: "B4", task_id: "task-B4", timestamp: nowIso() }));
    controller = new AbortController();
    run = runActionPipeline({ config, signal: controller.signal, onEvent: (e) => events.push(e) });
    await until(events, (e) => e.type === "sent", 4);
    controller.abort();
    await run;
    const sent = api.messages().map((m) => /task-B\d/.exec(m)?.[0]);
    expect(sent.sort()).toEqual(["task-B1", "task-B2", "task-B3", "task-B4"]);
  });
});

describe("state", () => {
  it("a corrupt state file starts from the beginning without resending what the outbox knows", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config, paths } = setup();
    raise(dir, makeAlert({ alert_id: "S1", timestamp: nowIso() }));
    await runActionPipeline({ config, once: true });
    writeFileSync(join(paths.state, "actions.json"), "{ torn");
    await runActionPipeline({ config, once: true });
    expect(api.messages()).toHaveLength(1);
  });
});
