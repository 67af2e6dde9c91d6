// awl serve under load, against a baseline in the same run:
// 1. SSE fan-out: 100 clients on one session's stream while 2 000 events/s are appended;
//    latency from append to receipt at the clients (p50/p99) and the server's RSS over the run.
//    Baseline: the raw file follower (store/follow.ts) → callback, no HTTP, same rate.
// 2. Opening the transcript of a 100 000-event session: time to first byte of the first page,
//    and to the page being usable in Chromium (the first page rendered). Baseline: reading the
//    whole session file with the store's reader (what loading it whole would cost before sending).
// Run: npm run bench -- serve   (BENCH_SERVE_SECONDS=10 for a quick run; default 60)
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { chromium } from "playwright-core";
import { createRecorder, type Recorder } from "../src/capture/recorder.js";
import { follow } from "../src/store/follow.js";
import { logPaths, sessionFile } from "../src/store/paths.js";
import { forEachEvent } from "../src/store/reader.js";
import { report } from "./report.js";

const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 60);
const BASE_SECONDS = Math.max(5, Math.round(SECONDS / 6));
const CLIENTS = Number(process.env.BENCH_SERVE_CLIENTS ?? 100);
const RATE = Number(process.env.BENCH_SERVE_RATE ?? 2000);
const BIG = Number(process.env.BENCH_SERVE_BIG ?? 100_000);
// Latency is read on every 10th client; the others only count what they receive, so the bench's
// own parsing (this process also appends) does not crowd out what it measures.
const SAMPLE_EVERY = 10;

/** Latency histogram in 0.1 ms buckets up to 30 s. */
class Histogram {
  private readonly b = new Uint32Array(300_000);
  n = 0;
  add(ms: number) {
    this.b[Math.min(this.b.length - 1, Math.max(0, Math.round(ms * 10)))]!++;
    this.n++;
  }
  pct(p: number): number {
    const want = Math.ceil(this.n * p);
    let seen = 0;
    for (let i = 0; i < this.b.length; i++) {
      seen += this.b[i]!;
      if (seen >= want) return i / 10;
    }
    return Number.NaN;
  }
}

const dir = mkdtempSync(join(tmpdir(), "awl-bench-serve-"));
const paths = logPaths(dir);
let child: ChildProcess | undefined;

/** Appends `RATE` events/s for `seconds`, each stamped with performance.now() in its output. */
async function appendFor(rec: Recorder, seconds: number): Promise<number> {
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
    while (sent < due) {
      rec.event("agent_output", { output: `T${performance.now().toFixed(3)}` });
      sent++;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return sent;
}

const STAMP = /"output":"T([\d.]+)"/g;

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

try {
  const figures: Parameters<typeof report>[1] = [];

  // ---- baseline: follower → callback ----
  const base = new Histogram();
  const rec0 = createRecorder({ logDir: dir, attemptId: "baseline", executor: "CLAUDE" });
  rec0.start({ prompt: "baseline" });
  const stop0 = new AbortController();
  const following = follow(sessionFile(paths, "baseline"), {
    start: "end",
    pollMs: 1000,
    signal: stop0.signal,
    onLines: (lines) => {
      const now = performance.now();
      for (const l of lines) for (const m of l.matchAll(STAMP)) base.add(now - Number(m[1]));
    },
  });
  await new Promise((r) => setTimeout(r, 200));
  await appendFor(rec0, BASE_SECONDS);
  await new Promise((r) => setTimeout(r, 500));
  stop0.abort();
  await following;
  rec0.close();
  figures.push({ metric: `baseline follow→callback p50 (ms, ${RATE} ev/s)`, value: base.pct(0.5) });
  figures.push({ metric: "baseline follow→callback p99 (ms)", value: base.pct(0.99) });

  // ---- the server in its own process ----
  child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "serve-server.ts"), dir], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child!.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    child!.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });

  // ---- SSE fan-out ----
  const rec = createRecorder({ logDir: dir, attemptId: "fanout", executor: "CLAUDE" });
  rec.start({ prompt: "fan-out" });
  const lat = new Histogram();
  let connected = 0;
  let bytesUnsampled = 0;
  // Reads by the sampled clients: how many pieces the server's writes arrived in (fewer is cheaper for everyone).
  let sampledChunks = 0;
  const reqs = [];
  for (let i = 0; i < CLIENTS; i++) {
    const sampled = i % SAMPLE_EVERY === 0;
    reqs.push(
      get(`${url}/api/sessions/fanout/stream`, (res) => {
        connected++;
        if (!sampled) {
          res.on("data", (chunk: Buffer) => {
            bytesUnsampled += chunk.length;
          });
          return;
        }
        let carry = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          const now = performance.now();
          sampledChunks++;
          const text = carry + chunk;
          const cut = text.lastIndexOf("\n\n");
          carry = cut === -1 ? text : text.slice(cut + 2);
          if (cut === -1) return;
          for (const m of text.slice(0, cut).matchAll(STAMP)) lat.add(now - Number(m[1]));
        });
      }),
    );
  }
  while (connected < CLIENTS) await new Promise((r) => setTimeout(r, 20));
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(rssKb(child!.pid!)), 1000);
  const sent = await appendFor(rec, SECONDS);
  await new Promise((r) => setTimeout(r, 1000));
  clearInterval(sampler);
  for (const r of reqs) r.destroy();
  rec.close();
  const tenth = Math.max(1, Math.floor(rss.length / 10));
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // Skip the first 5 s (JIT, buffers) before taking the "start" level.
  const startRss = avg(rss.slice(5, 5 + tenth));
  const endRss = avg(rss.slice(-tenth));
  figures.push({ metric: "machine load average (1 min) at the end", value: (await import("node:os")).loadavg()[0]!.toFixed(1) });
  figures.push({ metric: `SSE ${CLIENTS} clients, append→receipt p50 (ms)`, value: lat.pct(0.5) });
  figures.push({ metric: `SSE ${CLIENTS} clients, append→receipt p99 (ms)`, value: lat.pct(0.99), target: "< 250" });
  figures.push({ metric: "SSE p99 / baseline p99", value: (lat.pct(0.99) / Math.max(0.1, base.pct(0.99))).toFixed(1) });
  const sampledClients = Math.ceil(CLIENTS / SAMPLE_EVERY);
  figures.push({ metric: `events appended / received by the ${sampledClients} sampled clients`, value: `${sent} / ${lat.n} (expected ${sent * sampledClients})` });
  figures.push({ metric: "reads per sampled client per second", value: (sampledChunks / sampledClients / SECONDS).toFixed(0) });
  figures.push({ metric: `MB received by the other ${CLIENTS - sampledClients} clients`, value: (bytesUnsampled / 1e6).toFixed(0) });
  figures.push({ metric: `server RSS after 5 s / at end of ${SECONDS} s (MB)`, value: `${(startRss / 1024).toFixed(0)} / ${(endRss / 1024).toFixed(0)}`, target: "flat" });
  figures.push({ metric: "server RSS max (MB)", value: Math.round(Math.max(...rss) / 1024) });

  // ---- transcript of a 100 000-event session ----
  const big = createRecorder({ logDir: dir, attemptId: "big", executor: "CODEX" });
  big.start({ prompt: "a long session" });
  for (let i = 1; i < BIG; i++) {
    const k = i % 4;
    if (k === 0) big.event("tool_call", { tool_name: "Bash", tool_call_id: `c${i}`, tool_params: { command: `npm test -- --run src/module-${i % 97}.test.ts` } });
    else if (k === 1) big.event("tool_result", { tool_name: "Bash", tool_call_id: `c${i - 1}`, result: "success", result_data: `PASS src/module-${i % 97}.test.ts (12 tests)` });
    else big.event("agent_output", { output: `Step ${i}: updated src/module-${i % 97}.ts and re-ran the tests.` });
  }
  big.close();
  const file = sessionFile(paths, "big");
  const tRead = performance.now();
  let n = 0;
  await forEachEvent(file, () => n++);
  const readWhole = performance.now() - tRead;
  const ttfb = await new Promise<{ first: number; done: number }>((resolve) => {
    const t0 = performance.now();
    get(`${url}/api/sessions/big/transcript?limit=300`, (res) => {
      const first = performance.now() - t0;
      res.resume();
      res.on("end", () => resolve({ first, done: performance.now() - t0 }));
    });
  });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  const page = await browser.newPage();
  await page.goto(`${url}/`);
  await page.locator("#sessions tbody tr").first().waitFor();
  const tOpen = performance.now();
  await page.goto(`${url}/#/session/big`);
  await page.locator('#transcript li[data-seq="299"]').waitFor();
  const usable = performance.now() - tOpen;
  await browser.close();
  figures.push({ metric: `baseline: read the whole ${n}-event session (ms)`, value: Math.round(readWhole) });
  figures.push({ metric: "transcript first page: time to first byte (ms)", value: ttfb.first.toFixed(1), target: "< 1000" });
  figures.push({ metric: "transcript first page: complete (ms)", value: ttfb.done.toFixed(1) });
  figures.push({ metric: "page usable in Chromium (first 300 events rendered, ms)", value: Math.round(usable), target: "< 1000" });
  report("serve", figures);
} finally {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((r) => child!.once("exit", r));
  }
  rmSync(dir, { recursive: true, force: true });
}
