import { Command } from "@commander-js/extra-typings";
import { commonOptions, configFor, type Io } from "../context.js";
import { UsageError } from "../errors.js";
import { formatOf, formatOption, printAnalytics } from "./analytics-output.js";

export function sqlCommand(io: Io) {
  return commonOptions(
    new Command("sql")
      .description("read-only SQL over the analytics views: events, errors, sessions, metrics, alerts, actions, tasks")
      .argument("<query>", "one SELECT statement")
      .addOption(formatOption()),
  )
    .addHelpText(
      "after",
      `
Examples:
  awl sql "SELECT executor, count(*) AS n, avg(success::INT) AS rate FROM sessions GROUP BY ALL"
  awl sql "SELECT fingerprint, count(*) FROM errors GROUP BY 1 ORDER BY 2 DESC LIMIT 5" --format csv
  awl sql "DESCRIBE sessions"   # not allowed: use SELECT * FROM sessions LIMIT 0 --format json`,
    )
    .action(async (query, o) => {
      const config = configFor(io, o);
      const { openAnalytics, AnalyticsInputError } = await import("../../analytics/index.js");
      const a = await openAnalytics(config);
      try {
        const r = await a.sql(query).catch((err: unknown) => {
          if (err instanceof AnalyticsInputError) throw new UsageError(err.message);
          // DuckDB's own errors (a typo, an unknown column) are the caller's query: one line, exit 2.
          throw new UsageError(`sql: ${(err as Error).message.split("\n")[0]}`);
        });
        const cell = (v: unknown) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
        printAnalytics(io, formatOf(o), r, [{ title: `${r.rows.length} row${r.rows.length === 1 ? "" : "s"}`, columns: r.columns, rows: r.rows.map((row) => r.columns.map((c) => cell(row[c]))) }]);
        if (r.truncated) io.stderr.write(`awl: the query gives more rows; these are its first ${r.rows.length}: narrow it (LIMIT, OFFSET, WHERE, GROUP BY) for the rest\n`);
      } finally {
        a.close();
      }
    });
}
