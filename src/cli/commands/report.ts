import { Command } from "@commander-js/extra-typings";
import { logPaths } from "../../store/paths.js";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { UsageError } from "../errors.js";
import { noteSkipped } from "./analytics-output.js";

export function reportCommand(io: Io) {
  const cmd = new Command("report").description("reports over the history");
  cmd.addCommand(
    commonOptions(
      new Command("weekly")
        .description("the weekly report: JSON, Markdown and a self-contained HTML page with charts, in <log-dir>/.cache/reports/")
        .option("--week <YYYY-Www>", "the ISO week (default: the last complete week)"),
    )
      .addHelpText(
        "after",
        `
Writes weekly-<Monday>.json, .md and .html (charts drawn with an inlined Chart.js: the page
works offline) and prints the summary. Rates come with their sample (k/n).

Examples:
  awl report weekly
  awl report weekly --week 2026-W47 --json`,
      )
      .action(async (o) => {
        const config = configFor(io, o);
        const { lastCompleteWeek, parseWeek, weeklySummaryText, writeWeeklyReport } = await import("../../report/index.js");
        let week: ReturnType<typeof parseWeek>;
        try {
          week = o.week ? parseWeek(o.week) : lastCompleteWeek(new Date());
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        const { openAnalytics } = await import("../../analytics/index.js");
        const a = await openAnalytics(config);
        try {
          const { report, files } = await writeWeeklyReport(a, week, logPaths(config.logDir, config.streamFile).reports);
          noteSkipped(io, report.meta.skipped);
          if (o.json) {
            printJson(io, { week: report.week, files, summary: weeklySummaryText(report), report });
            return;
          }
          io.stdout.write(`${weeklySummaryText(report)}\n\nwrote ${files.json}\n      ${files.md}\n      ${files.html}\n`);
        } finally {
          a.close();
        }
      }),
  );
  return cmd;
}
