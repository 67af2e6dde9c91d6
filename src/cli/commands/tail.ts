import { existsSync, statSync } from "node:fs";
import { Command } from "@commander-js/extra-typings";
import { tail } from "../../live/tail.js";
import type { AwlEvent } from "../../schema/index.js";
import { ensureDir } from "../../store/fs.js";
import { logPaths, sessionFile } from "../../store/paths.js";
import { acceptEvent, readLastLines } from "../../store/reader.js";
import { commonOptions, configFor, type Io } from "../context.js";
import { formatEvent, painter } from "../format.js";
import { parseIntArg } from "../input.js";

export function tailCommand(io: Io) {
  return commonOptions(
    new Command("tail")
      .description("print recorded events readably; -f keeps following as they are written")
      .option("-f, --follow", "keep printing new events until interrupted")
      .option("-n, --lines <n>", "how many of the latest events to print first", parseIntArg("--lines", 0), 20)
      .option("--attempt-id <id>", "only this attempt's events (its session file)"),
  ).action(async (opts) => {
    const config = configFor(io, opts);
    const paths = logPaths(config.logDir, config.streamFile);
    const file = opts.attemptId ? sessionFile(paths, opts.attemptId) : paths.stream;
    const paint = painter(io.stdout);
    const width = io.stdout.columns ?? 160;
    let skipped = 0;
    const print = (lines: string[]) => {
      let out = "";
      for (const line of lines) {
        let event: AwlEvent | undefined;
        try {
          event = acceptEvent(JSON.parse(line));
        } catch {
          event = undefined;
        }
        if (!event) {
          if (line.trim()) skipped++;
          continue;
        }
        out += opts.json ? `${JSON.stringify(event)}\n` : `${formatEvent(event, paint, width)}\n`;
      }
      if (out) io.stdout.write(out);
    };
    let offset = 0;
    let ino = 0;
    if (existsSync(file)) {
      ino = statSync(file).ino;
      const last = await readLastLines(file, opts.lines);
      print(last.lines);
      offset = last.endOffset;
    } else if (!opts.follow) {
      io.stderr.write(`awl: nothing recorded yet: ${file} does not exist\n`);
    }
    if (opts.follow) {
      ensureDir(config.logDir);
      if (opts.attemptId) ensureDir(paths.sessions);
      // The live tail (as awl watch): rotation with the writers' lease, truncation in place noticed even when the file regrows past the offset.
      await tail({
        path: file,
        archiveDir: paths.archive,
        start: ino ? { ino, offset, head: "" } : "start",
        follow: true,
        pollMs: config.analyzer.pollIntervalMs,
        signal: io.signal,
        onLines: print,
      });
    }
    if (skipped) io.stderr.write(`awl: ${file}: skipped ${skipped} invalid line${skipped === 1 ? "" : "s"}\n`);
  });
}
