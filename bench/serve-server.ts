// The server process of bench/serve.bench.ts: awl serve over a log directory, its URL on stdout.
import { startServer } from "../src/server/server.js";

const server = await startServer({ logDir: process.argv[2]!, host: "127.0.0.1", port: 0, pollMs: 1000 });
process.stdout.write(`${server.url}\n`);
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
