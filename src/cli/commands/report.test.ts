import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeBotApi, startFakeBotApi } from "../../../test/helpers/fake-bot-api.js";
import { writeHandHistory } from "../../../test/helpers/hand-history.js";
import { runCli } from "../../../test/helpers/io.js";
import { useTmpDir } from "../../../test/helpers/tmp.js";
import { broadcast, NoChannelError } from "../../monitor/notify/broadcast.js";

const tmp = useTmpDir("awl-report-send-");
const TOKEN = "2024:report-send";
let api: FakeBotApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe("awl report weekly --send", () => {
  it("posts the summary to Telegram (HTML) and the webhook (signed, plain text)", { timeout: 60_000 }, async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const dir = tmp();
    writeHandHistory(dir);
    const env = { AGENT_WORK_LOG_DIR: dir, AWL_TELEGRAM_BOT_TOKEN: TOKEN, AWL_TELEGRAM_CHAT_ID: "9", AWL_TELEGRAM_API_BASE: api.url, AWL_WEBHOOK_URL: `${api.url}/weekly`, AWL_WEBHOOK_SECRET: "wsec" };
    const r = await runCli(["report", "weekly", "--week", "2026-W47", "--send"], { env, cwd: dir });
    expect(r.stderr).toMatch(/^awl: skipped 3 unreadable lines[^\n]*\n$/); // the hand history's torn lines
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sent to telegram \(telegram message 1\)\n/);
    expect(r.stdout).toMatch(/sent to webhook \(HTTP 200\)\n/);
    const [tg] = api.messages();
    expect(tg).toMatch(/^awl weekly report 2026-W47 \(2026-11-16 to 2026-11-23\)\nSessions: 10, /);
    expect(r.stdout.startsWith(tg!)).toBe(true); // the same summary it printed
    const hook = api.received.find((x) => x.path === "/weekly")!;
    expect(hook.headers["x-awl-signature"]).toBe(`sha256=${createHmac("sha256", "wsec").update(hook.raw).digest("hex")}`);
    expect(hook.body).toMatchObject({ source: "awl", type: "weekly_report", week: "2026-W47" });
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it("no channel configured: one line, exit 2, nothing written", async () => {
    const dir = tmp();
    const r = await runCli(["report", "weekly", "--send"], { env: { AGENT_WORK_LOG_DIR: dir }, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("awl: --send: no notification channel is configured (set AWL_TELEGRAM_BOT_TOKEN and AWL_TELEGRAM_CHAT_ID, or AWL_WEBHOOK_URL)\n");
    expect(r.stdout).toBe("");
  });

  it("a channel that refuses: the report is still written, the failure is one line, exit 1", { timeout: 60_000 }, async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const dir = tmp();
    writeHandHistory(dir);
    const r = await runCli(["report", "weekly", "--week", "2026-W47", "--send"], {
      env: { AGENT_WORK_LOG_DIR: dir, AWL_TELEGRAM_BOT_TOKEN: "1:wrong", AWL_TELEGRAM_CHAT_ID: "9", AWL_TELEGRAM_API_BASE: api.url },
      cwd: dir,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\nawl: report: not sent to telegram: telegram: HTTP 401: Unauthorized\n$/);
    expect(r.stdout).toContain("wrote ");
  });
});

describe("broadcast", () => {
  it("splits a long HTML text into Telegram-sized parts, in order, and continues after the parts sent when one fails", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const html = Array.from({ length: 600 }, (_, i) => `line ${i} &lt;b&gt;`).join("\n");
    api.script("ok", { status: 500 }); // part 2 fails once
    const config = { notify: { telegram: { botToken: TOKEN, chatId: "1", apiBase: api.url }, cooldownMinutes: 0, maxAgeMinutes: 0, maxAttempts: 3, timeoutMs: 5000 } };
    const [res] = await broadcast(config, { html, text: "t", type: "x", id: "x-1" }, { backoffBaseMs: 1 });
    expect(res).toMatchObject({ channel: "telegram", outcome: { ok: true }, attempts: 2 });
    const parts = api.messages();
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    expect(parts.join("\n")).toBe(html);
    expect(api.received).toHaveLength(parts.length + 1);
  });

  it("throws NoChannelError without a channel", async () => {
    await expect(broadcast({ notify: { cooldownMinutes: 0, maxAgeMinutes: 0, maxAttempts: 1, timeoutMs: 100 } }, { html: "", text: "", type: "x", id: "x" })).rejects.toThrow(NoChannelError);
  });
});
