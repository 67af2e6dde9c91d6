import { Command, Option } from "@commander-js/extra-typings";
import { COMPLETION_STATUSES } from "../../schema/vocabulary.js";
import { logPaths } from "../../store/paths.js";
import { acceptMetrics, describeSkips, forEachEvent, readRecords } from "../../store/reader.js";
import { historyFiles, stemOf } from "../../store/rotate.js";
import { SessionIndex } from "../../store/sessions.js";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { formatDuration, oneLine, painter, table } from "../format.js";
import { parseIntArg } from "../input.js";

export function sessionsCommand(io: Io) {
  return commonOptions(
    new Command("sessions")
      .description("list recorded sessions, newest first")
      .option("--limit <n>", "show at most n sessions", parseIntArg("--limit", 1), 50)
      .addOption(new Option("--status <status>", "only sessions with this status").choices(["running", ...COMPLETION_STATUSES]))
      .option("--executor <name>", "only this executor"),
  ).action(async (opts) => {
    const config = configFor(io, opts);
    const paths = logPaths(config.logDir, config.streamFile);
    const index = new SessionIndex();
    const notes: string[] = [];
    // The whole history, rotated archives first (as the server's index reads it): from the live
    // file alone, a session that spans a rotation lost its start, task, executor and earlier
    // events and errors, and printed wrong counts and durations as if they were right.
    for (const f of historyFiles(paths, stemOf(paths.stream))) {
      const stats = await forEachEvent(f.path, (e) => index.add(e));
      const skip = describeSkips(stats);
      if (skip) notes.push(skip);
    }
    for (const f of historyFiles(paths, stemOf(paths.metrics))) {
      for await (const batch of readRecords(f.path, { accept: acceptMetrics })) for (const m of batch) index.addMetrics(m);
    }
    let list = index.list();
    if (opts.status) list = list.filter((s) => s.status === opts.status);
    if (opts.executor) list = list.filter((s) => s.executor === opts.executor);
    list = list.slice(0, opts.limit);
    for (const n of notes) io.stderr.write(`awl: ${n}\n`);
    if (opts.json) {
      printJson(io, list);
      return;
    }
    if (list.length === 0) {
      io.stdout.write(`no sessions recorded in ${config.logDir}\n`);
      return;
    }
    const paint = painter(io.stdout);
    // Ids and names are anyone's text: a newline or an escape sequence in one must not break the table or reach the terminal.
    const rows = list.map((s) => [
      paint("bold", oneLine(s.attempt_id, 80)),
      oneLine(s.task_title ?? s.task_id ?? "-", 40),
      oneLine(s.executor ?? "-", 30),
      oneLine(s.model ?? "-", 40),
      paint(s.status === "success" ? "green" : s.status === "running" ? "cyan" : "red", s.status) + (s.outcome ? ` (${s.outcome})` : ""),
      s.started_at.replace("T", " ").slice(0, 19),
      formatDuration(s.duration_ms),
      String(s.events),
      s.errors ? paint("red", String(s.errors)) : "0",
    ]);
    io.stdout.write(`${table(["ATTEMPT", "TASK", "EXECUTOR", "MODEL", "STATUS", "STARTED (UTC)", "DURATION", "EVENTS", "ERRORS"], rows)}\n`);
  });
}
