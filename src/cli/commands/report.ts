import { Command } from "@commander-js/extra-typings";
import { logPaths } from "../../store/paths.js";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { EXIT, UsageError } from "../errors.js";
import { noteSkipped } from "./analytics-output.js";

export function reportCommand(io: Io, setExitCode: (code: number) => void = () => undefined) {
  const cmd = new Command("report").description("reports over the history");
  cmd.addCommand(
    commonOptions(
      new Command("weekly")
        .description("the weekly report: JSON, Markdown and a self-contained HTML page with charts, in <log-dir>/.cache/reports/")
        .option("--week <YYYY-Www>", "the ISO week (default: the last complete week)")
        .option("--send", "also send the summary through the configured notifications (Telegram, webhook)"),
    )
      .addHelpText(
        "after",
        `
Writes weekly-<Monday>.json, .md and .html (charts drawn with an inlined Chart.js: the page
works offline) and prints the summary. Rates come with their sample (k/n).

Examples:
  awl report weekly
  awl report weekly --week 2026-W47 --json
  awl report weekly --send          # the summary to Telegram and/or the webhook`,
      )
      .action(async (o) => {
        const config = configFor(io, o);
        const { broadcast, configuredChannels, unescapeHtml } = await import("../../monitor/notify/broadcast.js");
        if (o.send && configuredChannels(config).length === 0) {
          throw new UsageError("--send: no notification channel is configured (set AWL_TELEGRAM_BOT_TOKEN and AWL_TELEGRAM_CHAT_ID, or AWL_WEBHOOK_URL)");
        }
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
          const summary = weeklySummaryText(report);
          let sent: { channel: string; ok: boolean; detail: string }[] | undefined;
          if (o.send) {
            const results = await broadcast(
              config,
              { html: summary, text: unescapeHtml(summary), type: "weekly_report", id: `weekly-${report.week.label}`, extra: { week: report.week.label, files } },
              { signal: io.signal },
            );
            sent = results.map((r) => ({ channel: r.channel, ok: r.outcome.ok, detail: r.outcome.ok ? (r.outcome.detail ?? "sent") : r.outcome.error }));
            for (const r of sent) if (!r.ok) io.stderr.write(`awl: report: not sent to ${r.channel}: ${r.detail}\n`);
            if (sent.some((r) => !r.ok)) setExitCode(EXIT.failure);
          }
          if (o.json) {
            printJson(io, { week: report.week, files, summary, report, ...(sent ? { sent } : {}) });
            return;
          }
          io.stdout.write(`${summary}\n\nwrote ${files.json}\n      ${files.md}\n      ${files.html}\n`);
          for (const r of sent ?? []) if (r.ok) io.stdout.write(`sent to ${r.channel} (${r.detail})\n`);
        } finally {
          a.close();
        }
      }),
  );
  return cmd;
}
