import { Command } from "@commander-js/extra-typings";
import { ALERT_TYPES, type AlertType } from "../../schema/index.js";
import { logPaths } from "../../store/paths.js";
import { describeSkips } from "../../store/reader.js";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { oneLine, painter, table } from "../format.js";
import { parseIntArg } from "../input.js";
import { UsageError } from "../errors.js";
import { parseSince } from "../since.js";

export function alertsCommand(io: Io) {
  return commonOptions(
    new Command("alerts")
      .description("list the alerts the analyzer raised (agent-alerts.jsonl), newest first")
      .option("--type <type>", `only this alert type (${ALERT_TYPES.join(", ")}); repeatable`, (v: string, prev: string[] = []) => [...prev, v])
      .option("--attempt-id <id>", "only this attempt's alerts")
      .option("--since <time>", "only alerts seen at or after this time (ISO date, or 30m, 2h, 7d back)")
      .option("--actions", "also list what was done about them (action records)")
      .option("--limit <n>", "show at most n records", parseIntArg("--limit", 1), 100),
  ).action(async (opts) => {
    const config = configFor(io, opts);
    for (const t of opts.type ?? []) if (!(ALERT_TYPES as readonly string[]).includes(t)) throw new UsageError(`--type ${JSON.stringify(t)}: expected one of ${ALERT_TYPES.join(", ")}`);
    const since = opts.since !== undefined ? parseSince("--since", opts.since) : undefined;
    const { readAlertRecords } = await import("../../monitor/alerts-log.js");
    const { records, stats } = await readAlertRecords(logPaths(config.logDir, config.streamFile), {
      ...(opts.actions ? {} : { record_type: "alert" as const }),
      ...(opts.attemptId ? { attempt_id: opts.attemptId } : {}),
      ...(since ? { since } : {}),
    });
    const types = opts.type as AlertType[] | undefined;
    // The same alert may be written by two processes (awl run's own analyzer and awl watch):
    // the first line of an alert_id is the alert.
    const seen = new Set<string>();
    const list = records
      .filter((r) => r.record_type !== "alert" || (!seen.has(r.alert_id) && seen.add(r.alert_id)))
      .filter((r) => !types?.length || r.record_type !== "alert" || types.includes(r.type))
      .reverse()
      .slice(0, opts.limit);
    const skip = describeSkips(stats);
    if (skip) io.stderr.write(`awl: ${skip}\n`);
    if (opts.json) {
      printJson(io, list);
      return;
    }
    if (list.length === 0) {
      io.stdout.write(`no alerts in ${config.logDir}\n`);
      return;
    }
    const paint = painter(io.stdout);
    const rows = list.map((r) =>
      r.record_type === "alert"
        ? [
            r.last_seen.replace("T", " ").slice(0, 19),
            paint(r.severity === "warning" ? "yellow" : r.severity === "info" ? "cyan" : "red", r.severity),
            r.type,
            paint("bold", r.attempt_id),
            String(r.occurrences),
            oneLine(`${r.error_fingerprint ?? r.tool_name ?? ""}${r.error_fingerprint || r.tool_name ? ": " : ""}${r.message}`, 80),
            r.recommendation,
          ]
        : [r.timestamp.replace("T", " ").slice(0, 19), paint("dim", "action"), r.action, paint("bold", r.attempt_id), "", oneLine(`${r.status}${r.detail ? ` ${r.detail}` : ""} (${r.alert_id})`, 80), ""],
    );
    io.stdout.write(`${table(["LAST SEEN (UTC)", "SEVERITY", "TYPE", "ATTEMPT", "N", "ABOUT", "RECOMMENDATION"], rows)}\n`);
  });
}
