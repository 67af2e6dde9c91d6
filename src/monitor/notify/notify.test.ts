import { createHmac } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeAlert } from "../../../test/helpers/alerts.js";
import { type FakeBotApi, startFakeBotApi } from "../../../test/helpers/fake-bot-api.js";
import { useTmpDir } from "../../../test/helpers/tmp.js";
import { escapeHtml, formatAlertHtml, formatAlertText, splitMessage, TELEGRAM_MAX_CHARS } from "./format.js";
import { backoffMs } from "./http.js";
import { Outbox, type OutboxEntry, outboxId } from "./outbox.js";
import { type CooldownState, cooldownKey, routeAlert, selectChannels } from "./route.js";
import { sendTelegramMessage } from "./telegram.js";
import { sendWebhook, signBody } from "./webhook.js";

const tmp = useTmpDir();
let api: FakeBotApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe("escapeHtml", () => {
  it.each([
    ["a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"],
    ["<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"],
    ["&amp; stays literal", "&amp;amp; stays literal"],
    ['quotes " and \' are fine', 'quotes " and \' are fine'],
    ["", ""],
  ])("%j → %j", (input, expected) => expect(escapeHtml(input)).toBe(expected));
});

describe("formatAlertHtml", () => {
  it("escapes every value and keeps each tag within its line", () => {
    const html = formatAlertHtml(makeAlert({ task_id: "<b>task</b>", message: "Error: a < b & </code>" }));
    expect(html).toContain("&lt;b&gt;task&lt;/b&gt;");
    expect(html).toContain("Error: a &lt; b &amp; &lt;/code&gt;");
    for (const line of html.split("\n")) {
      const opened = (line.match(/<(b|code)>/g) ?? []).length;
      const closed = (line.match(/<\/(b|code)>/g) ?? []).length;
      expect(opened).toBe(closed);
    }
    expect(html.split("\n")[0]).toBe("🔴 <b>error_loop</b> · error");
  });

  it("bounds label values so only the message can be long", () => {
    const html = formatAlertHtml(makeAlert({ task_id: "t".repeat(5000), message: "" }));
    expect(html.length).toBeLessThan(1000);
    expect(formatAlertText(makeAlert({ message: "plain <text>" }))).toContain("plain <text>");
  });
});

describe("splitMessage", () => {
  const line = (n: number, c = "x") => c.repeat(n);
  it.each([
    ["short text is one part", "hello", 4096, ["hello"]],
    ["empty text is one empty part", "", 4096, [""]],
    ["exactly the limit is one part", line(4096), 4096, [line(4096)]],
    ["cuts at the last line break that fits", `${line(10)}\n${line(10)}\n${line(10)}`, 25, [`${line(10)}\n${line(10)}`, line(10)]],
    ["a long line is cut hard", line(50), 20, [line(20), line(20), line(10)]],
    ["never inside an entity", `${line(18)}&amp;yy`, 20, [line(18), "&amp;yy"]],
    ["never between a surrogate pair", `${line(19)}😀z`, 20, [line(19), "😀z"]],
    ["drops blank lines at a cut", `${line(15)}\n\n\n${line(5)}`, 16, [line(15), line(5)]],
  ])("%s", (_name, text, max, expected) => {
    const parts = splitMessage(text, max);
    expect(parts).toEqual(expected);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(max);
  });

  it("keeps every character of a 10 000-character escaped message, each part within Telegram's limit", () => {
    const msg = Array.from({ length: 400 }, (_, i) => `line ${i} <tag> & "quote" ${"é".repeat(i % 7)}`).join("\n");
    const html = formatAlertHtml(makeAlert({ message: msg }));
    const parts = splitMessage(html);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(TELEGRAM_MAX_CHARS);
    expect(parts.join("\n").replace(/\n+/g, "\n")).toBe(html.replace(/\n+/g, "\n"));
  });
});

describe("routing and cooldown", () => {
  const both = ["telegram", "webhook"] as const;
  it.each([
    ["default: warning and above to every channel", makeAlert({ severity: "warning" }), undefined, ["telegram", "webhook"]],
    ["default: info goes nowhere", makeAlert({ severity: "info" }), undefined, []],
    ["route by severity", makeAlert({ severity: "error" }), [{ channel: "telegram" as const, minSeverity: "critical" as const }, { channel: "webhook" as const }], ["webhook"]],
    ["route by type", makeAlert({ type: "stuck" }), [{ channel: "telegram" as const, types: ["error_loop" as const] }, { channel: "webhook" as const, types: ["stuck" as const] }], ["webhook"]],
    ["a channel named twice is used once", makeAlert(), [{ channel: "telegram" as const }, { channel: "telegram" as const, minSeverity: "info" as const }], ["telegram"]],
  ])("%s", (_name, alert, routes, expected) => {
    expect(selectChannels(alert, { channels: both, routes })).toEqual(expected);
  });

  it("ignores routes to channels that are not configured", () => {
    expect(selectChannels(makeAlert(), { channels: ["webhook"], routes: [{ channel: "telegram" }, { channel: "webhook" }] })).toEqual(["webhook"]);
  });

  // One task flapping: alerts at these event times (minutes) with these severities; cooldown 30 min.
  it.each([
    ["first alert is sent", [[0, "error"]], [true]],
    ["a repeat within the window is quiet", [[0, "error"], [10, "error"]], [true, false]],
    ["after the window it is sent again", [[0, "error"], [30, "error"]], [true, true]],
    ["the window runs from the last sent one, not the last quiet one", [[0, "error"], [20, "error"], [35, "error"]], [true, false, true]],
    ["more severe breaks through", [[0, "warning"], [5, "critical"], [6, "critical"]], [true, true, false]],
    ["less severe stays quiet", [[0, "critical"], [5, "error"]], [true, false]],
  ] as [string, [number, "warning" | "error" | "critical"][], boolean[]][])("%s", (_name, seq, expected) => {
    let state: CooldownState = {};
    const got = seq.map(([min, severity]) => {
      const t = new Date(Date.parse("2026-11-25T10:00:00Z") + min * 60_000).toISOString();
      const d = routeAlert(makeAlert({ severity, last_seen: t, first_seen: t }), { channels: ["telegram"], cooldownMinutes: 30 }, state);
      state = d.cooldown;
      if (d.send.length === 0) expect(d.skip[0]!.reason).toMatch(/^cooldown/);
      return d.send.length > 0;
    });
    expect(got).toEqual(expected);
  });

  it("keeps cooldowns per task and per type; no task falls back to the attempt", () => {
    expect(cooldownKey(makeAlert({ task_id: "T" }))).toBe("task:T|error_loop");
    expect(cooldownKey(makeAlert({ task_id: null, attempt_id: "A", type: "tool_loop" }))).toBe("attempt:A|tool_loop");
    let state: CooldownState = {};
    for (const a of [makeAlert({ task_id: "T1" }), makeAlert({ task_id: "T2" }), makeAlert({ task_id: "T1", type: "tool_loop" })]) {
      const d = routeAlert(a, { channels: ["telegram"], cooldownMinutes: 30 }, state);
      expect(d.send).toEqual(["telegram"]);
      state = d.cooldown;
    }
  });

  it("cooldown 0 sends everything", () => {
    const d1 = routeAlert(makeAlert(), { channels: ["telegram"], cooldownMinutes: 0 }, {});
    expect(routeAlert(makeAlert(), { channels: ["telegram"], cooldownMinutes: 0 }, d1.cooldown).send).toEqual(["telegram"]);
  });
});

describe("sendTelegramMessage against a local Bot API", () => {
  const token = "123456:SECRET-token_value";
  it("sends sendMessage with parse_mode HTML to the chat", async () => {
    api = await startFakeBotApi({ token });
    const r = await sendTelegramMessage({ botToken: token, chatId: "-100200", apiBase: api.url }, "<b>hi</b> &amp;");
    expect(r).toEqual({ ok: true, detail: "message 1" });
    expect(api.received[0]!.path).toBe(`/bot${token}/sendMessage`);
    expect(api.received[0]!.body).toMatchObject({ chat_id: "-100200", text: "<b>hi</b> &amp;", parse_mode: "HTML" });
  });

  it.each([
    ["429 → retry after the server's retry_after", { status: 429 as const, retryAfter: 7 }, { ok: false, retry: true, retryAfterMs: 7000 }],
    ["500 → retry", { status: 500 }, { ok: false, retry: true }],
    ["502 → retry", { status: 502, description: "Bad Gateway" }, { ok: false, retry: true }],
    ["400 → final", { status: 400, description: "Bad Request: can't parse entities" }, { ok: false, retry: false }],
    ["403 → final", { status: 403, description: "Forbidden: bot was blocked by the user" }, { ok: false, retry: false }],
  ])("%s", async (_name, reply, expected) => {
    api = await startFakeBotApi({ token });
    api.script(reply);
    const r = await sendTelegramMessage({ botToken: token, chatId: "1", apiBase: api.url }, "x");
    expect(r).toMatchObject(expected);
    expect(JSON.stringify(r)).not.toContain(token);
  });

  it("a wrong token is final and the error never names the token; an unreachable server or timeout is retryable", async () => {
    api = await startFakeBotApi({ token });
    const wrong = await sendTelegramMessage({ botToken: "999:WRONG", chatId: "1", apiBase: api.url }, "x");
    expect(wrong).toMatchObject({ ok: false, retry: false });
    expect(JSON.stringify(wrong)).not.toContain("WRONG");
    api.script({ hangMs: 2000 });
    const slow = await sendTelegramMessage({ botToken: token, chatId: "1", apiBase: api.url }, "x", { timeoutMs: 100 });
    expect(slow).toMatchObject({ ok: false, retry: true, error: "telegram: network error: timed out after 100 ms" });
    const url = api.url;
    await api.close();
    api = undefined;
    const down = await sendTelegramMessage({ botToken: token, chatId: "1", apiBase: url }, "x");
    expect(down).toMatchObject({ ok: false, retry: true });
    expect(JSON.stringify(down)).not.toContain(token);
  });
});

describe("sendWebhook", () => {
  it("POSTs JSON with an HMAC-SHA256 signature of the body, a timestamp and a delivery id", async () => {
    api = await startFakeBotApi();
    const body = JSON.stringify({ alert: makeAlert(), text: "x" });
    const r = await sendWebhook({ url: `${api.url}/hook`, secret: "k3y" }, body, "webhook-abc", { now: () => 1_764_000_000_000 });
    expect(r).toEqual({ ok: true, detail: "HTTP 200" });
    const got = api.received[0]!;
    expect(got.raw).toBe(body);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["x-awl-signature"]).toBe(`sha256=${createHmac("sha256", "k3y").update(body).digest("hex")}`);
    expect(got.headers["x-awl-signature"]).toBe(signBody("k3y", body));
    expect(got.headers["x-awl-timestamp"]).toBe("1764000000");
    expect(got.headers["x-awl-delivery"]).toBe("webhook-abc");
  });

  it("sends no signature without a secret; 5xx retries, 404 is final", async () => {
    api = await startFakeBotApi();
    api.script("ok", { status: 503 }, { status: 404 });
    expect(await sendWebhook({ url: api.url }, "{}", "d")).toMatchObject({ ok: true });
    expect(api.received[0]!.headers["x-awl-signature"]).toBeUndefined();
    expect(await sendWebhook({ url: api.url }, "{}", "d")).toMatchObject({ ok: false, retry: true });
    expect(await sendWebhook({ url: api.url }, "{}", "d")).toMatchObject({ ok: false, retry: false });
  });
});

describe("Outbox", () => {
  const entry = (alertId: string, created = "2026-11-25T10:00:00.000Z"): OutboxEntry => ({
    id: outboxId("telegram", alertId),
    kind: "telegram",
    alert_id: alertId,
    attempt_id: "ve-1",
    created,
    attempts: 0,
    next_at: 0,
    parts: ["x"],
    parts_sent: 0,
    alert: makeAlert({ alert_id: alertId }),
  });

  it("queues an id once, survives a new instance, and never requeues a delivered one", () => {
    const state = tmp();
    const box = new Outbox(state);
    expect(box.enqueue(entry("a", "2026-11-25T10:00:02.000Z"))).toBe(true);
    expect(box.enqueue(entry("a"))).toBe(false);
    expect(box.enqueue(entry("b", "2026-11-25T10:00:01.000Z"))).toBe(true);
    const again = new Outbox(state);
    expect(again.pending().map((e) => e.alert_id)).toEqual(["b", "a"]);
    again.finish(again.pending()[0]!, { status: "ok", at: "2026-11-25T10:00:03.000Z", attempts: 1 });
    expect(again.pending().map((e) => e.alert_id)).toEqual(["a"]);
    expect(again.enqueue(entry("b"))).toBe(false);
    expect(again.known(outboxId("telegram", "b"))).toBe(true);
    expect(outboxId("webhook", "b")).not.toBe(outboxId("telegram", "b"));
  });

  it("a crash between the tombstone and removing the pending file does not resend", () => {
    const state = tmp();
    const box = new Outbox(state);
    const e = entry("c");
    box.enqueue(e);
    // the tombstone exists, the pending file was not removed yet
    writeFileSync(join(box.dir, "done", `${e.id}.json`), "{}");
    expect(box.pending()).toEqual([]);
    expect(existsSync(join(box.dir, "pending", `${e.id}.json`))).toBe(false);
  });

  it("moves an unreadable entry aside and reports it", () => {
    const state = tmp();
    const box = new Outbox(state);
    box.enqueue(entry("d"));
    writeFileSync(join(box.dir, "pending", "broken.json"), "{ torn");
    const bad: string[] = [];
    expect(box.pending((f) => bad.push(f)).map((e) => e.alert_id)).toEqual(["d"]);
    expect(bad).toHaveLength(1);
    expect(readdirSync(join(box.dir, "failed"))).toEqual(["broken.json"]);
  });

  it("prunes tombstones by age", () => {
    const box = new Outbox(tmp());
    box.enqueue(entry("e"));
    box.finish(entry("e"), { status: "ok", at: "x", attempts: 1 });
    expect(box.prune(Date.now(), 30)).toBe(0);
    expect(box.prune(Date.now() + 31 * 86_400_000, 30)).toBe(1);
  });
});

describe("backoffMs", () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [5, 16000],
    [30, 300000],
  ])("retry %i waits %i ms", (n, ms) => expect(backoffMs(n)).toBe(ms));
});
