import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { writeHandHistory } from "../helpers/hand-history.js";
import { runCli } from "../helpers/io.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir("awl-report-");
const ROOT = join(import.meta.dirname, "..", "..");

describe("awl report weekly in a real browser", () => {
  it("writes JSON, Markdown and an HTML page whose charts draw offline in Chromium without a console error", async () => {
    const dir = tmp();
    writeHandHistory(dir);
    const r = await runCli(["report", "weekly", "--week", "2026-W47", "--log-dir", dir, "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.files.html).toBe(join(dir, ".cache", "reports", "weekly-2026-11-16.html"));
    for (const f of Object.values(out.files) as string[]) expect(existsSync(f)).toBe(true);
    const json = JSON.parse(readFileSync(out.files.json, "utf8"));
    expect(json.week.label).toBe("2026-W47");
    const html = readFileSync(out.files.html, "utf8");
    expect(html).not.toMatch(/<script[^>]+src=/); // self-contained: no external script

    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("request", (req) => {
        if (!req.url().startsWith("file:") && !req.url().startsWith("data:")) problems.push(`request: ${req.url()}`);
      });
      await page.goto(pathToFileURL(out.files.html).href);
      await page.waitForSelector("body[data-charts='4']");
      // Every canvas has pixels drawn on it.
      const drawn = await page.evaluate(`Array.from(document.querySelectorAll("canvas")).map((c) => {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
        return painted;
      })`) as number[];
      expect(drawn).toHaveLength(4);
      for (const n of drawn) expect(n).toBeGreaterThan(500);
      expect(await page.textContent("h1")).toBe("awl weekly report 2026-W47");
      expect(await page.textContent("body")).toContain("tmpl_loop01");
      expect(problems).toEqual([]);
      const shot = join(dir, "report.png");
      await page.screenshot({ path: shot, fullPage: false });
      if (process.env.AWL_UPDATE_SCREENSHOTS) copyFileSync(shot, join(ROOT, "docs", "report-weekly.png"));
    } finally {
      await browser.close();
    }
  }, 60_000);
});
