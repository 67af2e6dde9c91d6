// Alert → notification latency: an alert line appended to agent-alerts.jsonl (as `awl watch`
// writes it) until the sendMessage request arrives at a local Bot API server, through the
// action pipeline running in its own process (follow → route → outbox → send). Alerts one at a
// time (latency, no queueing), then a burst of all at once (throughput). Baseline in the same
// run: a bare fetch round trip from this process to the same server.
// Run: npm run bench -- notify   (BENCH_ALERTS=500 by default)
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeAlert } from "../test/helpers/alerts.js";
import { TSX } from "../test/helpers/awl.js";
import { startFakeBotApi } from "../test/helpers/fake-bot-api.js";
import { percentile, report } from "./report.js";

const N = Number(process.env.BENCH_ALERTS ?? 500);
const TOKEN = "1000:bench";
const dir = mkdtempSync(join(tmpdir(), "awl-bench-notify-"));
const alerts = join(dir, "agent-alerts.jsonl");
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

const child = spawn(process.execPath, ["--import", TSX, join(import.meta.dirname, "..", "test", "e2e", "workers", "pipeline.ts")], {
  cwd: dir,
  env: { PATH: process.env.PATH, AGENT_WORK_LOG_DIR: dir, AWL_TELEGRAM_BOT_TOKEN: TOKEN, AWL_TELEGRAM_CHAT_ID: "1", AWL_TELEGRAM_API_BASE: api.url, AWL_NOTIFY_COOLDOWN_MINUTES: "0" },
  stdio: ["ignore", "pipe", "inherit"],
});
await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
await new Promise((r) => setTimeout(r, 300)); // the follower's first read of the (absent) file

const line = (i: number) => `${JSON.stringify(makeAlert({ alert_id: `al-${i}`, task_id: `bench-${i}`, timestamp: new Date().toISOString(), last_seen: new Date().toISOString() }))}\n`;

// One at a time.
const lat: number[] = [];
for (let i = 0; i < N; i++) {
  const task = `bench-${i}`;
  const got = new Promise<void>((resolve) => {
    onArrive = (t) => t === task && resolve();
  });
  const t0 = clock();
  appendFileSync(alerts, line(i));
  await got;
  lat.push(arrived.get(task)! - t0);
}

// A burst: all appended in one write.
const burstStart = clock();
const all = new Promise<void>((resolve) => {
  onArrive = () => arrived.size >= 2 * N && resolve();
});
appendFileSync(alerts, Array.from({ length: N }, (_, i) => line(N + i)).join(""));
await all;
const burstMs = clock() - burstStart;

child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
await api.close();
rmSync(dir, { recursive: true, force: true });

report("notify — alert line → Bot API request", [
  { metric: `baseline fetch round trip p50 (ms, ${N})`, value: ms(percentile(raw, 50)) },
  { metric: "baseline fetch round trip p99 (ms)", value: ms(percentile(raw, 99)) },
  { metric: `alert → request p50 (ms, ${N} one at a time)`, value: ms(percentile(lat, 50)) },
  { metric: "alert → request p99 (ms)", value: ms(percentile(lat, 99)), target: "< 1000" },
  { metric: "alert → request max (ms)", value: ms(Math.max(...lat)) },
  { metric: "p50 ratio to the bare round trip", value: ms(percentile(lat, 50) / percentile(raw, 50)) },
  { metric: `burst of ${N}: last request after (ms)`, value: Math.round(burstMs) },
  { metric: "burst throughput (notifications/s)", value: Math.round((N / burstMs) * 1000) },
]);
