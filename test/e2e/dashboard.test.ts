import { readFileSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { openAnalytics } from "../../src/analytics/index.js";
import { prepareDemo } from "../../src/cli/demo/run.js";
import { loadConfig } from "../../src/config/index.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AwlEvent } from "../../src/schema/index.js";
import type { AnalyticsSource } from "../../src/server/routes/analytics.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { sessionFile, logPaths } from "../../src/store/paths.js";
import { alertRecord, importFixtures, recorder, writeAlerts } from "../helpers/server-history.js";
import { useTmpDir } from "../helpers/tmp.js";

// Real Chromium (Debian's /usr/bin/chromium) driving the dashboard served by a real server on 127.0.0.1.
const tmp = useTmpDir("awl-dash-");
let browser: Browser;
const servers: RunningServer[] = [];
const pages: Page[] = [];
const problems: string[] = [];

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const p of pages.splice(0)) await p.close();
  for (const s of servers.splice(0)) await s.close();
});

async function openDashboard(logDir: string, hash = "", analytics?: AnalyticsSource): Promise<{ page: Page; server: RunningServer }> {
  const server = await startServer({ logDir, host: "127.0.0.1", port: 0, pollMs: 100, analytics });
  servers.push(server);
  const page = await browser.newPage();
  pages.push(page);
  problems.length = 0;
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // The analytics endpoints answer 503 when no source is configured; the page shows that state.
    if (m.type() === "error" && !/status of 503/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/${hash}`);
  return { page, server };
}

describe("the dashboard in Chromium", () => {
  it("shows events appended to an open session within 1 s", async () => {
    const dir = tmp();
    const rec = recorder(dir, "live-run", { taskTitle: "Live task" });
    rec.start({ prompt: "Refactor the parser" });
    const { page } = await openDashboard(dir, "#/session/live-run");
    await page.locator('#transcript li[data-seq="0"]').waitFor({ timeout: 5000 }).catch(async (e) => {
      throw new Error(`${e.message}\n${problems.join("\n")}\n${await page.content()}`);
    });
    for (let i = 1; i <= 3; i++) {
      const t0 = Date.now();
      rec.event("agent_output", { output: `progress ${i}` });
      await page.locator(`#transcript li[data-seq="${i}"]`).waitFor({ timeout: 1000 });
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(await page.locator(`#transcript li[data-seq="${i}"]`).textContent()).toContain(`progress ${i}`);
    }
    // The session list (back on the main view) follows the same session's counters.
    await page.goto(page.url().replace(/#.*$/, "#/"));
    await page.locator('tr[data-attempt="live-run"]').waitFor({ timeout: 3000 }).catch(async (e) => {
      throw new Error(`${e.message}\n${problems.join("\n")}\n${await page.content()}`);
    });
    const t0 = Date.now();
    rec.error("npm ERR! code ETIMEDOUT");
    await page.locator('tr[data-attempt="live-run"] td.bad').waitFor({ timeout: 1000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    // Thinking arrives collapsed; a follow-up is marked as one.
    rec.event("agent_thinking", { thinking: "Maybe the tokenizer is wrong" });
    rec.event("followup_sent", { prompt: "Run the tests again", followup_reason: "error_loop", action: "fresh_session" });
    await page.goto(page.url().replace(/#.*$/, "#/session/live-run"));
    await page.locator("#transcript li.ev-followup_sent").waitFor({ timeout: 2000 });
    expect(await page.locator("#transcript li.ev-followup_sent").textContent()).toContain("Follow-up sent (fresh_session)");
    expect(await page.locator("#transcript li.ev-agent_thinking details").getAttribute("open")).toBeNull();
    expect(await page.locator("#transcript li.ev-agent_thinking details pre").isVisible()).toBe(false);
    rec.close();
    expect(problems).toEqual([]);
  });

  it("shows a new alert in the feed", async () => {
    const dir = tmp();
    writeAlerts(dir, [alertRecord({ attempt_id: "a-1", message: "an older alert" })]);
    const { page } = await openDashboard(dir);
    await page.locator("#alerts li", { hasText: "an older alert" }).waitFor();
    const t0 = Date.now();
    writeAlerts(dir, [alertRecord({ attempt_id: "a-2", type: "tool_loop", recommendation: "fresh_session", message: "Bash called 12 times in 60 s" })]);
    await page.locator("#alerts li", { hasText: "Bash called 12 times in 60 s" }).waitFor({ timeout: 1000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await page.locator("#alerts li").first().textContent()).toContain("tool_loop");
    expect(problems).toEqual([]);
  });

  it("renders agent output containing <script> and <img onerror> as text and runs nothing", async () => {
    const dir = tmp();
    const evil = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold?</b>`;
    const rec = recorder(dir, "xss", { taskTitle: `<img src=x onerror="window.__pwned = 3">` });
    rec.start({ prompt: evil });
    rec.event("agent_output", { output: evil });
    rec.event("tool_call", { tool_name: "<svg onload=window.__pwned=4>", tool_call_id: "t", tool_params: { html: evil } });
    rec.event("tool_result", { tool_call_id: "t", result: "error", result_data: evil });
    rec.error(evil);
    rec.close();
    writeAlerts(dir, [alertRecord({ attempt_id: "xss", message: evil })]);
    const { page } = await openDashboard(dir, "#/session/xss");
    await page.locator('#transcript li[data-seq="4"]').waitFor();
    await page.locator("#alerts li").first().waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("#transcript img, #transcript script, #transcript b, #transcript svg, #alerts img, #sessions img").count()).toBe(0);
    expect(await page.locator('#transcript li[data-seq="1"]').textContent()).toContain(evil);
    expect(await page.locator("#alerts li").first().textContent()).toContain(evil);
    await page.goto(page.url().replace(/#.*$/, "#/"));
    await page.locator('tr[data-attempt="xss"]').waitFor();
    expect(await page.locator('tr[data-attempt="xss"]').textContent()).toContain(`<img src=x onerror="window.__pwned = 3">`);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it("replays an imported real transcript with each tool call, its arguments and its result", async () => {
    const dir = tmp();
    await importFixtures(dir, ["claude/error_loop"]);
    const attempt = readFileSync(logPaths(dir).stream, "utf8").split("\n")[0]!;
    const id = (JSON.parse(attempt) as AwlEvent).attempt_id;
    const events = readFileSync(sessionFile(logPaths(dir), id), "utf8").trim().split("\n").map((l) => JSON.parse(l) as AwlEvent);
    const calls = events.filter((e) => e.event_type === "tool_call");
    const failed = events.filter((e) => e.event_type === "tool_result" && e.data.result === "error");
    expect(calls.length).toBeGreaterThan(2);
    const { page } = await openDashboard(dir, `#/session/${encodeURIComponent(id)}`);
    await page.locator(`#transcript li[data-seq="${events.at(-1)!.sequence_num}"]`).waitFor();
    expect(await page.locator("#transcript li.ev-tool_call").count()).toBe(calls.length);
    for (const c of calls) {
      const text = await page.locator(`#transcript li[data-seq="${c.sequence_num}"]`).textContent();
      expect(text).toContain(c.data.tool_name);
    }
    // Failed results are highlighted, inside their call.
    expect(failed.length).toBeGreaterThan(0);
    expect(await page.locator("#transcript li.ev-tool_call.failed").count()).toBeGreaterThan(0);
    expect(await page.locator("#transcript li.ev-error").count()).toBe(events.filter((e) => e.event_type === "error").length);
    // Thinking is collapsed.
    const thinking = page.locator("#transcript li.ev-agent_thinking details");
    if ((await thinking.count()) > 0) expect(await thinking.first().getAttribute("open")).toBeNull();
    expect(problems).toEqual([]);
  });

  it("says when analytics are unavailable, and draws the charts from what the analytics return", async () => {
    const dir = tmp();
    const { page } = await openDashboard(dir);
    await page.locator("#executors-panel [data-state]", { hasText: "Analytics unavailable" }).waitFor();
    expect(await page.locator("#timeseries-panel [data-state]").textContent()).toMatch(/Analytics unavailable/);
    expect(await page.locator("#health").textContent()).toBe("no data yet");

    const double: AnalyticsSource = {
      errors: async () => ({ meta: {}, rows: [{ fingerprint: "npm_install_timeout", category: "dependency", occurrences: 7 }] }),
      executors: async () => ({ meta: {}, rows: [{ executor: "CLAUDE", sessions: 10, success_rate: 0.8 }, { executor: "CODEX", sessions: 6, success_rate: 0.5 }] }),
      backlog: async () => ({ meta: {}, rows: [] }),
      planning: async () => ({ meta: {}, rows: [] }),
      timeseries: async () => ({ meta: {}, rows: [{ bucket: "2026-11-20", sessions: 3 }, { bucket: "2026-11-21", sessions: 5 }] }),
    };
    const second = await openDashboard(tmp(), "", double);
    const p = second.page;
    await p.locator("#errors-panel td", { hasText: "npm_install_timeout" }).waitFor();
    await p.locator("#executors-panel td", { hasText: "CODEX" }).waitFor();
    const drawn = await p.evaluate(() => {
      const C = (globalThis as unknown as { Chart: { getChart(id: string): { data: { labels: string[] } } | undefined } }).Chart;
      return [C.getChart("executors-chart")?.data.labels, C.getChart("timeseries-chart")?.data.labels];
    });
    expect(drawn).toEqual([
      ["CLAUDE", "CODEX"],
      ["2026-11-20", "2026-11-21"],
    ]);
    expect(problems).toEqual([]);
  });
});

describe("awl demo's dashboard in Chromium", () => {
  it("shows the analyzer's loop alert and the executor chart from DuckDB over the bundled sessions", async () => {
    const dir = tmp();
    const config = loadConfig({ flags: { logDir: dir }, env: {}, cwd: dir });
    const now = Date.now();
    const { alerts } = await prepareDemo({ config, now: () => now });
    const loop = alerts.find((a) => a.type === "error_loop" && a.executor === "CLAUDE");
    expect(loop).toBeDefined();
    const analytics = await openAnalytics(config);
    try {
      const { page } = await openDashboard(dir, "", analytics);
      const item = page.locator(`#alerts li[data-alert-id="${loop!.alert_id}"]`);
      await item.waitFor();
      const text = await item.textContent();
      expect(text).toContain("error_loop");
      expect(text).toContain(loop!.recommendation);
      expect(text).toContain("git_remote_not_found");
      expect(await page.locator("#alerts li").count()).toBe(alerts.length);
      await page.locator("#executors-panel td", { hasText: "GEMINI" }).waitFor();
      await page.waitForFunction(() => Boolean((globalThis as unknown as { Chart?: { getChart(id: string): unknown } }).Chart?.getChart("timeseries-chart")));
      const drawn = await page.evaluate(() => {
        type ChartLike = { data: { labels: string[]; datasets: { label: string; data: number[] }[] } };
        const C = (globalThis as unknown as { Chart: { getChart(id: string): ChartLike | undefined } }).Chart;
        const ex = C.getChart("executors-chart")!;
        const ts = C.getChart("timeseries-chart")!;
        return { labels: ex.data.labels, sets: ex.data.datasets.map((d) => [d.label, d.data]), days: ts.data.labels.length, sessions: ts.data.datasets.find((d) => d.label === "sessions")?.data };
      });
      expect(drawn.labels).toEqual(["CLAUDE", "CODEX", "GEMINI"]);
      expect(drawn.sets).toEqual([
        ["sessions", [3, 3, 3]],
        ["succeeded", [2, 2, 3]],
      ]);
      // The bundled sessions, shifted to end now, spread over the last 52 hours: three or four UTC days.
      expect(drawn.days).toBeGreaterThanOrEqual(3);
      expect(drawn.days).toBeLessThanOrEqual(4);
      expect(drawn.sessions?.reduce((a, b) => a + b, 0)).toBe(9);
      expect(problems).toEqual([]);
    } finally {
      analytics.close();
    }
  }, 60_000);
});

describe("a long transcript in Chromium", () => {
  it("renders the first page at once and the rest page by page as the reader scrolls, then follows live", async () => {
    const dir = tmp();
    const rec = recorder(dir, "long-run");
    rec.start({ prompt: "long" });
    for (let i = 1; i < 1000; i++) rec.event("agent_output", { output: `line ${i}` });
    const { page } = await openDashboard(dir, "#/session/long-run");
    await page.locator('#transcript li[data-seq="299"]').waitFor();
    expect(await page.locator("#transcript li").count()).toBeLessThan(1000);
    for (const last of [599, 899, 999]) {
      await page.locator("#transcript-more").scrollIntoViewIfNeeded();
      await page.locator(`#transcript li[data-seq="${last}"]`).waitFor({ timeout: 2000 });
    }
    rec.event("agent_output", { output: "after the end" });
    await page.locator('#transcript li[data-seq="1000"]').waitFor({ timeout: 1000 });
    expect(await page.locator("#transcript li").count()).toBe(1001);
    rec.close();
    expect(problems).toEqual([]);
  });
});
