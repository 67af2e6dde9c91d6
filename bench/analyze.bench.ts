// `awl analyze errors` and `awl analyze executors` end to end (a new process each, from dist/)
// on a generated history (default 1 M events, BENCH_ANALYZE_EVENTS to change; half of the
// stream in gzip archives), against jq computing the same aggregate over the same files in the
// same run. Prints seconds, the ratio, and the peak RSS of each process. The first awl run
// builds the Parquet cache (cold); later runs read the cache plus the live file's new tail (warm).
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { generateHistory } from "./gen-history.js";
import { type Figure, report } from "./report.js";

const N = Number(process.env.BENCH_ANALYZE_EVENTS ?? 1_000_000);
const ROOT = join(import.meta.dirname, "..");
const AWL = join(ROOT, "bin", "awl.js");

const tGen = performance.now();
const h = await generateHistory(N);
const genSeconds = (performance.now() - tGen) / 1000;

// The measured command is the installed one: build dist/ and its bundle first, as `npm install` does.
const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
if (build.status !== 0) throw new Error("npm run build failed");

interface Run {
  seconds: number;
  rssMb: number;
  stdout: string;
}

/** Runs a command under GNU time: wall seconds (measured here) and the peak RSS it reports. */
function timed(cmd: string, args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "__RSS_KB=%M", cmd, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  const kb = Number(/__RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
  return { seconds, rssMb: Math.round(kb / 1024), stdout: r.stdout };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const archives = readdirSync(join(h.dir, "archive"))
  .filter((f) => f.startsWith("agent-work-stream.") && f.endsWith(".gz"))
  .map((f) => join("archive", f));
const stream = `gzip -dc ${archives.join(" ")} | cat - agent-work-stream.jsonl`;
const JQ = {
  errors: `reduce (inputs | select(.event_type == "error")) as $e ({}; .[$e.data.error_fingerprint] += 1)`,
  executors: `reduce (inputs | select(.event_type == "session_end")) as $e ({}; .[$e.executor] |= {n: ((.n // 0) + 1), ok: ((.ok // 0) + (if $e.data.completion_status == "success" then 1 else 0 end)), cost: ((.cost // 0) + $e.data.cost_usd)})`,
};
function jq(which: keyof typeof JQ): Run {
  return timed("sh", ["-c", `cd '${h.dir}' && ${stream} | /usr/bin/jq -c -n '${JQ[which]}'`]);
}

const awl = (which: string) => timed(process.execPath, [AWL, "analyze", which, "--json", ...(which === "errors" ? ["--limit", "100000"] : []), "--log-dir", h.dir]);

rmSync(join(h.dir, ".cache"), { recursive: true, force: true });
const cold = awl("errors");
const figures: Figure[] = [
  { metric: "events", value: h.events },
  { metric: "sessions", value: h.sessions },
  { metric: "JSONL MB (uncompressed)", value: Math.round(h.bytes / 1048576) },
  { metric: "generate s (0 if cached)", value: +genSeconds.toFixed(1) },
  { metric: "awl errors cold s (builds cache)", value: +cold.seconds.toFixed(2) },
  { metric: "awl errors cold peak RSS MB", value: cold.rssMb },
];

for (const which of ["errors", "executors"] as const) {
  const runs = [awl(which), awl(which), awl(which)];
  const j = jq(which);
  const awlS = median(runs.map((r) => r.seconds));
  // The same aggregate from both: counts per fingerprint; sessions, successes and cost per executor.
  const got = JSON.parse(runs[0]!.stdout);
  const want = JSON.parse(j.stdout) as Record<string, number | { n: number; ok: number; cost: number }>;
  if (which === "errors") {
    const mine = Object.fromEntries((got.clusters as { fingerprint: string; count: number }[]).map((c) => [c.fingerprint, c.count]));
    if (JSON.stringify(Object.entries(mine).sort()) !== JSON.stringify(Object.entries(want).sort())) throw new Error("awl and jq disagree on error counts");
  } else {
    for (const e of got.executors as { executor: string; sessions: number; success: { k: number }; total_cost_usd: number }[]) {
      const w = want[e.executor] as { n: number; ok: number; cost: number };
      if (w.n !== e.sessions || w.ok !== e.success.k || Math.abs(w.cost - e.total_cost_usd) > 1e-6) {
        throw new Error(`awl and jq disagree on ${e.executor}: ${JSON.stringify(w)} vs ${JSON.stringify(e)}`);
      }
    }
  }
  figures.push(
    { metric: `awl ${which} warm s (median of 3)`, value: +awlS.toFixed(2), target: "< 1 s" },
    { metric: `jq ${which} s`, value: +j.seconds.toFixed(2) },
    { metric: `ratio jq/awl ${which}`, value: +(j.seconds / awlS).toFixed(1), target: ">= 10" },
    { metric: `awl ${which} peak RSS MB`, value: Math.max(...runs.map((r) => r.rssMb)), target: "< 500" },
  );
}
report(`analyze (${h.events.toLocaleString("en-US")} events)`, figures);
