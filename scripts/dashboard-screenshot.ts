// Regenerates docs/dashboard.png and docs/dashboard-transcript.png from `awl demo`'s data: the
// bundled real transcripts recorded into a scratch log directory, the live analyzer replayed
// over them (its real alerts), served by awl serve with DuckDB analytics, photographed in
// Chromium. Run: npx tsx scripts/dashboard-screenshot.ts
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { openAnalytics } from "../src/analytics/index.js";
import { prepareDemo } from "../src/cli/demo/run.js";
import { loadConfig } from "../src/config/index.js";
import { startServer } from "../src/server/server.js";
import { logPaths, sessionFile } from "../src/store/paths.js";

const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "awl-shot-"));
try {
  const config = loadConfig({ flags: { logDir: dir }, env: {}, cwd: dir });
  const now = Date.now();
  const { alerts } = await prepareDemo({ config, now: () => now });
  const analytics = await openAnalytics(config);
  const server = await startServer({ logDir: dir, host: "127.0.0.1", port: 0, analytics });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${server.url}/`);
    await page.locator("#sessions tbody tr").nth(8).waitFor();
    await page.locator("#alerts li").nth(alerts.length - 1).waitFor();
    await page.locator("#executors-panel td").first().waitFor();
    await page.locator("#errors-panel td").first().waitFor();
    await page.waitForFunction(() => {
      const C = (globalThis as unknown as { Chart?: { getChart(id: string): unknown } }).Chart;
      return Boolean(C?.getChart("executors-chart") && C.getChart("timeseries-chart"));
    });
    await page.screenshot({ path: join(root, "docs", "dashboard.png"), fullPage: true });
    // The transcript of the Claude Code session stuck in a loop (the analyzer's most recent alert).
    const loop = alerts.find((a) => a.type === "error_loop" && a.executor === "CLAUDE");
    if (!loop) throw new Error("the demo raised no error_loop alert for Claude Code");
    await page.goto(`${server.url}/#/session/${encodeURIComponent(loop.attempt_id)}`);
    const last = readFileSync(sessionFile(logPaths(dir), loop.attempt_id), "utf8").trim().split("\n").length - 1;
    await page.locator(`#transcript li[data-seq="${last}"]`).waitFor();
    await page.screenshot({ path: join(root, "docs", "dashboard-transcript.png") });
  } finally {
    await browser.close();
    await server.close();
    analytics.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
