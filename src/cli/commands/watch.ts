import { Command } from "@commander-js/extra-typings";
import type { Alert } from "../../schema/index.js";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { cellText, oneLine, type Painter, painter } from "../format.js";
import { parseSince } from "../since.js";

export function formatAlert(a: Alert, paint: Painter): string {
  const color = a.severity === "critical" || a.severity === "error" ? "red" : a.severity === "warning" ? "yellow" : "cyan";
  const about = a.error_fingerprint ?? a.tool_name;
  // One line, whatever the ids and names hold (cellText).
  return cellText(`${paint("dim", a.last_seen.replace("T", " ").slice(0, 19))} ${paint(color, `${a.severity} ${a.type}`)} ${paint("bold", a.attempt_id)}${about ? ` [${about}]` : ""} ${oneLine(a.message, 200)} → ${a.recommendation}`);
}

export function watchCommand(io: Io) {
  return commonOptions(
    new Command("watch")
      .description("the live analyzer: follow the event stream, run the detectors, append alerts to agent-alerts.jsonl and print them")
      .option("--once", "process what is in the stream now, then exit")
      .option("--replay", "start from the beginning of the history (archives too) instead of where the last run stopped: backtest thresholds")
      .option("--since <time>", "only analyze events at or after this time (ISO date, or 30m, 2h, 7d back)")
      .option("--dry-run", "print alerts without writing them or the watcher's state (with --replay: try other thresholds)"),
  ).action(async (opts) => {
    const config = configFor(io, opts);
    const since = opts.since !== undefined ? parseSince("--since", opts.since) : undefined;
    const { watch } = await import("../../monitor/watch.js");
    const paint = painter(io.stdout);
    const summary = await watch({
      config,
      replay: opts.replay,
      once: opts.once,
      since,
      signal: io.signal,
      dryRun: opts.dryRun,
      onNote: (n) => io.stderr.write(`awl: ${n}\n`),
      onAlert: (a) => {
        if (opts.json) printJson(io, a);
        else io.stdout.write(`${formatAlert(a, paint)}\n`);
      },
    });
    const skipped = summary.skipped.invalid_json + summary.skipped.invalid_schema;
    const parts = [`${summary.events} events`, `${summary.alerts} new alert${summary.alerts === 1 ? "" : "s"}`];
    if (summary.duplicates) parts.push(`${summary.duplicates} already written`);
    if (summary.withoutAttempt) parts.push(`${summary.withoutAttempt} without attempt_id (not analyzed)`);
    if (skipped) parts.push(`${skipped} invalid line${skipped === 1 ? "" : "s"} skipped`);
    if (summary.skipped.before_since) parts.push(`${summary.skipped.before_since} before --since`);
    io.stderr.write(`awl: watch: ${parts.join(", ")}\n`);
  });
}
