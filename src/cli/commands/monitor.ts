import { Command } from "@commander-js/extra-typings";
import type { MonitorStatus } from "../../monitor/service.js";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { EXIT } from "../errors.js";
import { table } from "../format.js";

function statusLine(s: MonitorStatus): string {
  const n = s.notifications;
  const parts = [
    `${s.at.slice(0, 19).replace("T", " ")} ${s.state}`,
    `analyzer ${s.analyzer}${s.analyzer === "on" ? ` (${s.events} events)` : ""}`,
    `${s.alerts} alert${s.alerts === 1 ? "" : "s"}`,
    `notifications ${n.sent} sent, ${n.pending} pending, ${n.failed} failed${n.skipped ? `, ${n.skipped} skipped` : ""}`,
  ];
  if (s.hooks) parts.push(`${s.hooks} hooks`);
  parts.push(`next report ${s.next_report ? s.next_report.slice(0, 16).replace("T", " ") : "off"}`);
  parts.push(`last rotation ${s.last_rotation ? `${s.last_rotation.at.slice(11, 19)} (${s.last_rotation.rotated} rotated)` : "none yet"}`);
  const restarts = Object.entries(s.restarts).map(([p, k]) => `${p} ×${k}`);
  if (restarts.length) parts.push(`restarts ${restarts.join(" ")}`);
  return parts.join(" · ");
}

export function monitorCommand(io: Io, setExitCode: (code: number) => void = () => undefined) {
  return commonOptions(
    new Command("monitor")
      .description("the long-running service: live analyzer, notifications and hooks for its alerts, the weekly report and log rotation")
      .option("--check", "validate the configuration and what it needs (no network), print what would run, and exit 0 or 2"),
  )
    .addHelpText(
      "after",
      `
Runs until SIGINT/SIGTERM (then stops cleanly: the analyzer at a checkpoint, unsent
notifications stay in the outbox for the next start) and exits 0. A status line per minute on
a terminal; --json prints status records as JSON lines instead. Errors: one line on stderr.

Examples:
  AWL_TELEGRAM_BOT_TOKEN=123:abc AWL_TELEGRAM_CHAT_ID=-100123 awl monitor
  awl monitor --check`,
    )
    .action(async (opts) => {
      const config = configFor(io, opts);
      if (opts.check) {
        const { checkConfig } = await import("../../monitor/check.js");
        const r = checkConfig(config, { env: io.env, cwd: io.cwd });
        if (opts.json) printJson(io, { ok: r.problems.length === 0, problems: r.problems, plan: r.plan });
        else {
          io.stdout.write(`${table(["PART", "WHAT RUNS"], r.plan.map((p) => [p.part, p.detail]))}\n`);
          io.stdout.write(r.problems.length === 0 ? "configuration ok\n" : `${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}\n`);
        }
        for (const p of r.problems) io.stderr.write(`awl: check: ${p}\n`);
        setExitCode(r.problems.length === 0 ? EXIT.ok : EXIT.usage);
        return;
      }
      const { runMonitor } = await import("../../monitor/service.js");
      const signal = io.signal ?? new AbortController().signal;
      const tty = io.stdout.isTTY === true;
      const show = (s: MonitorStatus) => {
        if (opts.json) printJson(io, s);
        else if (tty) io.stdout.write(`${statusLine(s)}\n`);
      };
      if (!opts.json) io.stderr.write(`awl: monitor: watching ${config.logDir} (stop with Ctrl-C)\n`);
      const last = await runMonitor({
        config,
        signal,
        env: io.env,
        onStatus: show,
        onError: (part, message) => io.stderr.write(`awl: monitor: ${part}: ${message}\n`),
        onNote: (n) => io.stderr.write(`awl: ${n}\n`),
      });
      if (!opts.json) {
        const why = typeof signal.reason === "string" ? ` (${signal.reason})` : "";
        io.stderr.write(`awl: monitor: stopped${why}: ${statusLine(last)}\n`);
      }
    });
}
