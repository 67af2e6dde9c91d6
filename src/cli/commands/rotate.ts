import { relative } from "node:path";
import { Command } from "@commander-js/extra-typings";
import { applyRetention } from "../../store/retention.js";
import { rotateLogs } from "../../store/rotate.js";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { table } from "../format.js";

export function rotateCommand(io: Io) {
  return commonOptions(
    new Command("rotate")
      .description(
        "rotate the logs that are due (by size: AGENT_WORK_LOG_MAX_SIZE_MB, by age: rotation.maxAgeHours) into archive/, gzip them, and apply retention",
      )
      .option("--force", "rotate every non-empty log now, whatever its size and age")
      .option("--dry-run", "say what would be done; change nothing"),
  ).action(async (opts) => {
    const config = configFor(io, opts);
    const now = Date.now();
    const rotation = await rotateLogs(config, { now, force: opts.force, dryRun: opts.dryRun, waitForCompression: true });
    const retention = applyRetention(config, { now, dryRun: opts.dryRun });
    if (opts.json) {
      printJson(io, { dryRun: opts.dryRun ?? false, ...rotation, ...retention });
      return;
    }
    const rel = (p: string) => relative(config.logDir, p) || p;
    const rows: string[][] = [
      ...rotation.rotated.map((r) => ["rotate", rel(r.from), rel(r.to), `${r.reason}, ${r.bytes} bytes`]),
      ...rotation.compressed.map((c) => ["gzip", rel(c.from), rel(c.to), `${c.bytes} bytes`]),
      ...rotation.metrics.map((m) => ["metrics", m.month, rel(m.to), `${m.lines} lines`]),
      ...retention.sessionsArchived.map((s) => ["archive", rel(s.from), rel(s.to), "session"]),
      ...retention.deleted.map((d) => ["delete", rel(d.path), "", d.reason]),
      ...rotation.waiting.map((w) => ["wait", rel(w), "", "written to recently: compressed by a later run"]),
    ];
    if (rows.length === 0) {
      io.stdout.write(`nothing to rotate in ${config.logDir} (use --force to rotate now)\n`);
      return;
    }
    if (opts.dryRun) io.stdout.write("dry run: nothing was changed\n");
    io.stdout.write(`${table(["ACTION", "FILE", "TO", "WHY"], rows)}\n`);
  });
}
