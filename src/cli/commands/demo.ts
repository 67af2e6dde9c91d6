import { Command } from "@commander-js/extra-typings";
import { loadConfig } from "../../config/index.js";
import { commonOptions, type Io, printJson, untilStopped } from "../context.js";
import type { DemoSummary } from "../demo/run.js";
import { UsageError } from "../errors.js";
import { type Painter, painter, table } from "../format.js";
import { parseIntArg } from "../input.js";
import { formatAlert } from "./watch.js";

export function demoCommand(io: Io) {
  return commonOptions(
    new Command("demo")
      .description(
        "try awl without any agent history: record bundled real Claude Code, Codex and Gemini CLI sessions into a fresh log directory, run the analyzer over them, print what it found and serve the dashboard",
      )
      .option("--port <n>", "dashboard port (default 7777 or $AWL_SERVE_PORT; 0 = any free port)", parseIntArg("--port", 0))
      .option("--no-serve", "print what the analyzer found and exit"),
  ).action(async (opts) => {
    if (opts.port !== undefined && opts.port > 65535) throw new UsageError(`--port ${opts.port}: expected a whole number from 0 to 65535`);
    const { demoLogDir, prepareDemo, summarizeDemo } = await import("../demo/run.js");
    const logDir = demoLogDir(opts.logDir, io.cwd);
    // The demo's own directory always wins over $AGENT_WORK_LOG_DIR: it never writes into real logs.
    const config = loadConfig({ flags: { logDir, config: opts.config }, env: io.env, cwd: io.cwd });
    const now = Date.now();
    const prepared = await prepareDemo({ config, now: () => now });
    const { openAnalytics } = await import("../../analytics/index.js");
    const analytics = await openAnalytics(config);
    let closeAnalytics = true;
    try {
      const summary = await summarizeDemo(config, prepared, analytics, now);
      if (!opts.serve) {
        if (opts.json) printJson(io, { ...summary, url: null });
        else io.stdout.write(formatSummary(summary, painter(io.stdout), null));
        return;
      }
      const { startServer } = await import("../../server/server.js");
      const { ServeError } = await import("../../server/auth.js");
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer({
          logDir: config.logDir,
          streamFile: config.streamFile,
          host: "127.0.0.1",
          port: opts.port ?? config.serve.port,
          pollMs: config.analyzer.pollIntervalMs,
          analytics,
        });
      } catch (err) {
        if (err instanceof ServeError) throw new UsageError(`${err.message}; the demo's data stays in ${config.logDir} (awl serve --log-dir ${config.logDir} --port N)`);
        throw err;
      }
      closeAnalytics = false;
      if (opts.json) printJson(io, { ...summary, url: `${server.url}/` });
      else io.stdout.write(formatSummary(summary, painter(io.stdout), `${server.url}/`));
      await untilStopped(io);
      await server.close();
      analytics.close();
    } finally {
      if (closeAnalytics) analytics.close();
    }
  });
}

const money = (usd: number) => `$${usd.toFixed(usd >= 1 ? 2 : 4)}`;

export function formatSummary(s: DemoSummary, paint: Painter, url: string | null): string {
  const out: string[] = [];
  const day = (iso: string) => iso.replace("T", " ").slice(0, 16);
  out.push(
    `${paint("bold", "awl demo")}: ${s.sessions} real agent sessions (Claude Code, Codex CLI, Gemini CLI) recorded into ${s.log_dir}`,
    paint("dim", `  (their times are shifted so they end between ${day(s.times.from)} and ${day(s.times.to)} UTC)`),
    "",
    table(
      ["EXECUTOR", "SESSIONS", "SUCCEEDED", "TOKENS", "COST"],
      s.executors.map((e) => [e.executor, String(e.sessions), `${e.succeeded}/${e.finished}`, e.tokens.toLocaleString("en-US"), money(e.cost_usd)]),
    ),
    "",
    `${paint("bold", `The analyzer raised ${s.alerts.length} alert${s.alerts.length === 1 ? "" : "s"}`)} (awl watch --replay):`,
  );
  for (const a of s.alerts) out.push(`  ${formatAlert(a, paint)}`);
  if (s.top_error) {
    const e = s.top_error;
    out.push(
      "",
      `${paint("bold", "Top error cluster")}: ${e.fingerprint} (${e.categories.join(", ")}): ${e.count} times in ${e.attempts} session${e.attempts === 1 ? "" : "s"} of ${e.executors.join(", ")}`,
    );
    if (e.sample_message) out.push(`  e.g. ${JSON.stringify(e.sample_message.split("\n")[0]!.slice(0, 160))}`);
  }
  out.push("", `Explore: awl sessions --log-dir ${s.log_dir}   awl analyze errors --log-dir ${s.log_dir}`);
  if (url) out.push(`${paint("bold", "Dashboard")}: ${url}   (Ctrl-C stops; the log directory stays)`);
  return `${out.join("\n")}\n`;
}
