// Regenerates docs/dashboard.png and docs/dashboard-transcript.png: real transcripts
// (test/fixtures/real) imported into a scratch log directory, served by awl serve, and
// photographed in Chromium. Run: npx tsx scripts/dashboard-screenshot.ts
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { importFixtures, writeAlerts } from "../test/helpers/server-history.js";
import { ALERT_TYPES, type AwlEvent, RECOMMENDATIONS, SEVERITIES } from "../src/schema/index.js";
import { startServer } from "../src/server/server.js";
import { logPaths, sessionFile } from "../src/store/paths.js";

const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "awl-shot-"));
try {
  await importFixtures(dir, ["claude/success", "claude/error_loop", "claude/api_error", "codex/success", "codex/error_loop", "gemini/success", "gemini/error_loop", "gemini/api_error", "claude_partial/success"]);
  // One alert as the live analyzer would raise it for the Gemini error loop (its most frequent fingerprint).
  const stream = readFileSync(logPaths(dir).stream, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AwlEvent);
  const errors = stream.filter((e) => e.event_type === "error" && e.executor === "GEMINI");
  const counts = new Map<string, AwlEvent[]>();
  for (const e of errors) {
    const fp = (e.data as { error_fingerprint?: string }).error_fingerprint ?? "?";
    counts.set(fp, [...(counts.get(fp) ?? []), e]);
  }
  const [fp, loop] = [...counts.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? ["?", []];
  if (loop.length >= 2) {
    writeAlerts(dir, [
      {
        record_type: "alert",
        alert_id: `al-${fp}`,
        type: ALERT_TYPES[0],
        severity: SEVERITIES[2],
        timestamp: loop.at(-1)!.timestamp,
        attempt_id: loop[0]!.attempt_id,
        executor: loop[0]!.executor,
        occurrences: loop.length,
        first_seen: loop[0]!.timestamp,
        last_seen: loop.at(-1)!.timestamp,
        recommendation: RECOMMENDATIONS[0],
        message: `${fp} repeated ${loop.length} times`,
        error_fingerprint: fp,
      },
    ]);
  }
  const server = await startServer({ logDir: dir, host: "127.0.0.1", port: 0 });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${server.url}/`);
    await page.locator("#sessions tbody tr").first().waitFor();
    await page.locator("#timeseries-panel [data-state]:not(:empty)").waitFor();
    await page.screenshot({ path: join(root, "docs", "dashboard.png"), fullPage: true });
    const codex = stream.find((e) => e.executor === "CODEX" && e.event_type === "tool_call");
    if (codex) {
      await page.goto(`${server.url}/#/session/${encodeURIComponent(codex.attempt_id)}`);
      const last = readFileSync(sessionFile(logPaths(dir), codex.attempt_id), "utf8").trim().split("\n").length - 1;
      await page.locator(`#transcript li[data-seq="${last}"]`).waitFor();
      await page.screenshot({ path: join(root, "docs", "dashboard-transcript.png") });
    }
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
