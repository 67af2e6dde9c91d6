// The action pipeline as its own process (what `awl monitor` will run), configured from the
// environment; prints each pipeline event as a JSON line so a test can act at the right moment.
import { loadConfig } from "../../../src/config/index.js";
import { runActionPipeline } from "../../../src/monitor/actions/pipeline.js";

const config = loadConfig({ env: process.env, cwd: process.cwd() });
const controller = new AbortController();
process.on("SIGTERM", () => controller.abort());
process.stdout.write(`${JSON.stringify({ type: "ready" })}\n`);
await runActionPipeline({
  config,
  signal: controller.signal,
  backoffBaseMs: Number(process.env.AWL_TEST_BACKOFF_MS ?? 1000),
  onEvent: (e) => process.stdout.write(`${JSON.stringify({ type: e.type, id: "id" in e ? e.id : undefined })}\n`),
});
