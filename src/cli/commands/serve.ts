import { Command } from "@commander-js/extra-typings";
import { commonOptions, configFor, type Io, printJson, untilStopped } from "../context.js";
import { UsageError } from "../errors.js";
import { parseIntArg } from "../input.js";

export function serveCommand(io: Io) {
  return commonOptions(
    new Command("serve")
      .description("HTTP API and dashboard over the log directory (loopback by default; any other address needs a token)")
      .option("--host <address>", "address to bind (default 127.0.0.1, or serve.host in the config file)")
      .option("--port <n>", "port (default 7777 or $AWL_SERVE_PORT; 0 = any free port)", parseIntArg("--port", 0))
      .option("--token <token>", "bearer token required on the API (prefer $AWL_SERVE_TOKEN: a flag shows in ps)"),
  ).action(async (opts) => {
    const config = configFor(io, opts);
    const host = opts.host ?? config.serve.host;
    const port = opts.port ?? config.serve.port;
    if (port > 65535) throw new UsageError(`--port ${port}: expected a whole number from 0 to 65535`);
    const token = opts.token ?? config.serve.token;
    if (token !== undefined && (token.length < 16 || /\s/.test(token))) throw new UsageError("--token: expected a token of at least 16 characters without spaces (value not shown)");
    // Loaded here, not at the top: other commands do not pay for the HTTP stack.
    const { startServer } = await import("../../server/server.js");
    const { ServeError } = await import("../../server/auth.js");
    const { openAnalytics } = await import("../../analytics/index.js");
    const analytics = await openAnalytics(config);
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      server = await startServer({ logDir: config.logDir, streamFile: config.streamFile, host, port, token, pollMs: config.analyzer.pollIntervalMs, analytics });
    } catch (err) {
      analytics.close();
      if (err instanceof ServeError) throw new UsageError(err.message);
      throw err;
    }
    if (opts.json) printJson(io, { url: server.url, host: server.host, port: server.port, log_dir: config.logDir, token_required: token !== undefined });
    else io.stderr.write(`awl serve: dashboard and API on ${server.url}/ (log dir ${config.logDir}${token ? "; API token required" : ""}); Ctrl-C stops\n`);
    await untilStopped(io);
    await server.close();
    analytics.close();
  });
}
