import { join } from "node:path";
import type { Analytics } from "../analytics/index.js";
import { writeFileAtomic } from "../store/fs.js";
import { weeklyHtml } from "./html.js";
import { weeklyMarkdown } from "./markdown.js";
import type { IsoWeek } from "./week.js";
import { buildWeeklyReport, type WeeklyReport } from "./weekly.js";

export { weeklyHtml } from "./html.js";
export { weeklyMarkdown } from "./markdown.js";
export { weeklySummaryText } from "./text.js";
export { type IsoWeek, lastCompleteWeek, parseWeek, weekOf } from "./week.js";
export { buildWeeklyReport, type WeeklyReport } from "./weekly.js";

export interface WrittenReport {
  report: WeeklyReport;
  files: { json: string; md: string; html: string };
}

/** Builds the week's report and writes `weekly-<Monday>.{json,md,html}` into `reportsDir` (atomically). */
export async function writeWeeklyReport(a: Analytics, week: IsoWeek, reportsDir: string): Promise<WrittenReport> {
  const report = await buildWeeklyReport(a, week);
  const stem = join(reportsDir, `weekly-${week.start.slice(0, 10)}`);
  const files = { json: `${stem}.json`, md: `${stem}.md`, html: `${stem}.html` };
  writeFileAtomic(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileAtomic(files.md, weeklyMarkdown(report));
  writeFileAtomic(files.html, weeklyHtml(report));
  return { report, files };
}
