import { Command } from "@commander-js/extra-typings";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { parseIntArg } from "../input.js";

export function importCommand(io: Io) {
  return commonOptions(
    new Command("import")
      .description("record existing agent output: saved stream-json/--json output and the agents' own session stores")
      .argument("<paths...>", "files or folders (searched recursively for .jsonl/.json), or - for stdin")
      .option("--jobs <n>", "threads importing files at once (default: one per CPU, at most 4, for imports of 16 MB or more a thread)", parseIntArg("--jobs", 1)),
  )
    .addHelpText(
      "after",
      `
Each session becomes the attempt <agent>-<session id>. Importing again is safe: unchanged
files are skipped, and no event is written twice (also when a session's stdout stream and
its session file are both imported).

Examples:
  awl import ~/.claude/projects ~/.codex/sessions ~/.gemini/tmp
  claude -p "…" --output-format stream-json --verbose | tee run.jsonl; awl import run.jsonl
  cat run.jsonl | awl import -`,
    )
    .action(async (paths, opts) => {
      const config = configFor(io, opts);
      const { importPaths } = await import("../../capture/import.js");
      const tty = io.stderr.isTTY === true && !opts.json;
      let last = 0;
      const summary = await importPaths({
        paths,
        config,
        jobs: opts.jobs,
        stdin: io.stdin,
        onProgress: tty
          ? (p) => {
              const t = Date.now();
              if (t - last < 100 && p.files < p.totalFiles) return;
              last = t;
              const pct = p.totalBytes ? Math.floor((p.bytes / p.totalBytes) * 100) : 100;
              io.stderr.write(`\r\u001b[Kimporting ${p.files}/${p.totalFiles} files, ${mb(p.bytes)}/${mb(p.totalBytes)} MB (${pct}%)`);
              if (p.files === p.totalFiles) io.stderr.write("\n");
            }
          : undefined,
      });
      if (opts.json) {
        printJson(io, summary);
        return;
      }
      const lines = [
        `imported ${summary.sessions} new session${summary.sessions === 1 ? "" : "s"}, ${summary.events} events from ${summary.files} file${summary.files === 1 ? "" : "s"}` +
          (summary.unchanged ? ` (${summary.unchanged} unchanged, skipped)` : "") +
          (summary.duplicates ? `; ${summary.duplicates} events already recorded` : ""),
      ];
      for (const [reason, n] of Object.entries(summary.skipped_lines)) lines.push(`  skipped ${n} line${n === 1 ? "" : "s"}: ${reason}`);
      for (const [type, n] of Object.entries(summary.unknown_records)) lines.push(`  kept ${n} record${n === 1 ? "" : "s"} of unknown type ${type}`);
      for (const f of summary.skipped_files) lines.push(`  skipped ${f.path}: ${f.reason}`);
      io.stdout.write(`${lines.join("\n")}\n`);
    });
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}
