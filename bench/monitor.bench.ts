// Event → notification latency through the real `awl monitor`: the event that completes an
// error loop is appended to the stream (as an agent's recorder writes it) until the
// sendMessage request arrives at a local Bot API server. The whole path: tail → analyzer →
// agent-alerts.jsonl → action pipeline → outbox → HTTP. One loop at a time (latency, no
// queueing), default poll intervals (fs.watch wakes both followers). Baseline in the same run:
// a bare fetch round trip from this process to the same server.
// Run: npm run bench -- monitor   (BENCH_ALERTS=500 by default)
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AWL_SOURCE, TSX } from "../test/helpers/awl.js";
import { startFakeBotApi } from "../test/helpers/fake-bot-api.js";
import { percentile, report } from "./report.js";

const N = Number(process.env.BENCH_ALERTS ?? 500);
const TOKEN = "1000:bench-monitor";
const dir = mkdtempSync(join(tmpdir(), "awl-bench-monitor-"));
const stream = join(dir, "agent-work-stream.jsonl");
const clock = () => performance.timeOrigin + performance.now();

const arrived = new Map<string, number>();
let onArrive: ((task: string) => void) | undefined;
const api = await startFakeBotApi({
  token: TOKEN,
  onRequest: (r) => {
    const task = /bench-\d+/.exec(String(r.body.text))?.[0];
    if (!task) return;
    arrived.set(task, r.at);
    onArrive?.(task);
  },
});

const ms = (x: number) => Math.round(x * 100) / 100;

// Baseline: the HTTP round trip alone.
const raw: number[] = [];
for (let i = 0; i < N; i++) {
  const t0 = clock();
  const res = await fetch(`${api.url}/bot${TOKEN}/sendMessage`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ chat_id: "1", text: "baseline" }) });
  await res.text();
  raw.push(clock() - t0);
}

const child = spawn(process.execPath, ["--import", TSX, AWL_SOURCE, "monitor", "--json", "--log-dir", dir], {
  cwd: dir,
  env: {
    PATH: process.env.PATH,
    AWL_TELEGRAM_BOT_TOKEN: TOKEN,
    AWL_TELEGRAM_CHAT_ID: "1",
    AWL_TELEGRAM_API_BASE: api.url,
    AWL_NOTIFY_COOLDOWN_MINUTES: "0",
    AGENT_ERROR_LOOP_THRESHOLD: "2",
    AGENT_ANALYTICS_WEEKLY_REPORT: "false",
  },
  stdio: ["ignore", "ignore", "inherit"],
});
// The analyzer tails from the stream's end once it has checkpointed its position.
while (!existsSync(join(dir, ".state", "watch.json"))) await new Promise((r) => setTimeout(r, 20));

let seq = 0;
const event = (i: number, type: string, data: Record<string, unknown>) =>
  `${JSON.stringify({ schema_version: 1, timestamp: new Date().toISOString(), attempt_id: `att-${i}`, session_id: `s-${i}`, task_id: `bench-${i}`, executor: "claude", model: "sonnet", source: "emit", event_type: type, data, elapsed_ms: 0, sequence_num: seq++ })}\n`;
const error = (i: number) => event(i, "error", { error_message: "git push rejected", error_fingerprint: "git_push_rejected", error_category: "git", error_source: "tool" });

const lat: number[] = [];
for (let i = 0; i < N; i++) {
  // The first error of the loop (untimed), then the one that completes it (timed).
  appendFileSync(stream, event(i, "session_start", { prompt: "x", prompt_type: "initial" }) + error(i));
  const task = `bench-${i}`;
  const got = new Promise<void>((resolve) => {
    onArrive = (t) => t === task && resolve();
  });
  const t0 = clock();
  appendFileSync(stream, error(i));
  await got;
  lat.push(arrived.get(task)! - t0);
}

child.kill("SIGTERM");
const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
await api.close();
rmSync(dir, { recursive: true, force: true });
if (code !== 0) throw new Error(`awl monitor exited ${code} on SIGTERM`);

report("monitor — event completing an error loop → Bot API request (real awl monitor)", [
  { metric: `baseline fetch round trip p50 (ms, ${N})`, value: ms(percentile(raw, 50)) },
  { metric: "baseline fetch round trip p99 (ms)", value: ms(percentile(raw, 99)) },
  { metric: `event → request p50 (ms, ${N} loops one at a time)`, value: ms(percentile(lat, 50)) },
  { metric: "event → request p99 (ms)", value: ms(percentile(lat, 99)), target: "< 1000" },
  { metric: "event → request max (ms)", value: ms(Math.max(...lat)) },
  { metric: "p50 ratio to the bare round trip", value: ms(percentile(lat, 50) / percentile(raw, 50)) },
]);
