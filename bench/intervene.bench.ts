// Intervention latency: from the looping event (the fake agent prints its 10th identical Bash
// call, the one that completes tool_loop, and notes the time) to the agent receiving SIGTERM
// (it notes that time too), over BENCH_INTERVENTIONS interventions of one supervised run
// (runAgent under superviseRun, as `awl run` does, in this process). Baseline, same run: a
// parent that reads the same agent's stdout and sends SIGTERM itself at the 10th call (the
// pipe-and-signal round trip no supervisor can beat). Target: p99 < 2 s.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { runAgent } from "../src/capture/run.js";
import { loadConfig } from "../src/config/index.js";
import { superviseRun } from "../src/monitor/actions/intervene.js";
import { report } from "./report.js";

const N = Number(process.env.BENCH_INTERVENTIONS ?? 60);
const AGENT = join(import.meta.dirname, "..", "test", "e2e", "workers", "looping-agent.mjs");
const node = process.execPath;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
const ms = (x: number) => +x.toFixed(2);

function signals(file: string): { loop_at: number; term_at: number; n: number }[] {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

const dir = mkdtempSync(join(tmpdir(), "awl-bench-intervene-"));
try {
  const env = { ...process.env, HOME: dir, LOOP_MARKER: "never", LOOP_EVERY_MS: "2", LOOP_NTH: "10" };

  // Baseline: the bare pipe-and-signal round trip.
  const baseLog = join(dir, "baseline.jsonl");
  for (let i = 0; i < N; i++) {
    await new Promise<void>((resolve) => {
      const child = spawn(node, [AGENT, "-p", "task"], { env: { ...env, SIGNAL_LOG: baseLog }, stdio: ["ignore", "pipe", "ignore"], detached: true });
      let calls = 0;
      let carry = "";
      child.stdout.on("data", (d: Buffer) => {
        const text = carry + d.toString();
        const lines = text.split("\n");
        carry = lines.pop()!;
        for (const l of lines) if (l.includes('"tool_use"') && ++calls === 10) process.kill(-child.pid!, "SIGTERM");
      });
      child.once("close", () => resolve());
    });
  }
  const base = signals(baseLog).map((s) => s.term_at - s.loop_at);

  // Supervised: one awl run, N interventions (the last one gives up).
  const logDir = join(dir, "logs");
  const config = { ...loadConfig({ env: {}, flags: { logDir } }) };
  config.interventions = { ...config.interventions, maxPerAttempt: N - 1, graceMs: 5000 };
  const sink = () => new PassThrough().resume();
  const superLog = join(dir, "supervised.jsonl");
  const t0 = performance.now();
  const r = await superviseRun({
    config,
    argv: [node, AGENT, "-p", "task", "--output-format", "stream-json"],
    attemptId: "bench",
    prompt: "task",
    env: { ...env, SIGNAL_LOG: superLog },
    runSession: (req) =>
      runAgent({
        argv: req.argv,
        config,
        env: req.env,
        stdout: sink(),
        stderr: sink(),
        prompt: req.prompt,
        promptType: req.promptType,
        followupReason: req.followupReason,
        retryOf: req.retryOf,
        killGraceMs: req.killGraceMs,
        stop: req.stop,
        onEvents: req.onEvents,
        onStart: req.onStart,
        attempt: { attemptId: req.attemptId, executor: "FAKE" },
      }),
  });
  const wall = (performance.now() - t0) / 1000;
  const sup = signals(superLog).map((s) => s.term_at - s.loop_at);
  if (sup.length !== N || r.interventions.length !== N) throw new Error(`expected ${N} interventions, saw ${sup.length} signals and ${r.interventions.length} records`);
  if (sup.some((x) => !Number.isFinite(x))) throw new Error("a signal came before the 10th call");

  report("intervene", [
    { metric: "interventions", value: sup.length },
    { metric: "looping event → SIGTERM p50 ms", value: ms(pct(sup, 50)) },
    { metric: "looping event → SIGTERM p99 ms", value: ms(pct(sup, 99)), target: "< 2000" },
    { metric: "looping event → SIGTERM max ms", value: ms(Math.max(...sup)) },
    { metric: "baseline (read pipe, kill) p50 ms", value: ms(pct(base, 50)) },
    { metric: "baseline (read pipe, kill) p99 ms", value: ms(pct(base, 99)) },
    { metric: "p50 ratio to baseline", value: `${(pct(sup, 50) / pct(base, 50)).toFixed(1)}×` },
    { metric: "supervised run wall s (all sessions)", value: +wall.toFixed(2) },
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
