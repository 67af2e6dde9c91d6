import { Option } from "@commander-js/extra-typings";
import type { Skipped } from "../../analytics/db.js";
import { type Section, toCsv, toMarkdown } from "../../analytics/render.js";
import type { Io } from "../context.js";
import { table } from "../format.js";

export const FORMATS = ["table", "json", "csv", "md"] as const;
export type Format = (typeof FORMATS)[number];

export function formatOption() {
  return new Option("--format <format>", "output format (default: table, or json with --json)").choices(FORMATS);
}

export function formatOf(opts: { format?: Format; json?: boolean }): Format {
  return opts.format ?? (opts.json ? "json" : "table");
}

/** Prints an analytics answer in the chosen format; what was skipped goes to stderr once. */
export function printAnalytics(io: Io, format: Format, value: { meta: { skipped: Skipped } }, sections: Section[]): void {
  noteSkipped(io, value.meta.skipped);
  if (format === "json") {
    io.stdout.write(`${JSON.stringify(value)}\n`);
    return;
  }
  const out: string[] = [];
  for (const s of sections) {
    if (format === "md") out.push(toMarkdown(s));
    else if (format === "csv") out.push(sections.length > 1 ? `# ${s.title}\n${toCsv(s)}\n` : `${toCsv(s)}\n`);
    else out.push(s.rows.length ? `${s.title}\n${table(s.columns, s.rows)}\n` : `${s.title}\n(none)\n`);
  }
  io.stdout.write(out.join("\n"));
}

export function noteSkipped(io: Io, s: Skipped): void {
  const total = s.events + s.metrics + s.alerts;
  if (total === 0) return;
  io.stderr.write(`awl: skipped ${total} unreadable line${total === 1 ? "" : "s"} (events ${s.events}, metrics ${s.metrics}, alerts ${s.alerts})\n`);
}
