// `awl run` overhead: the wall time of a program printing 200 000 lines (14 MB), with and
// without `awl run` around it, measured in the same run (best of N each). Target: < 10 % added.
//
// The headline charges awl's whole start-up to a 0.12 s program, so the bench also splits it:
// - the fixed cost: `awl run` around `true` (Node's own start, shown beside it, is most of it);
// - the per-line cost: what the 200 000 lines add beyond the fixed cost;
// - what a user pays: the same lines printed at an agent's pace over BENCH_RUN_PACE_S seconds.
// Everything runs in a scratch git repository with one commit, as an agent would (awl reads
// the repository at the start and measures the changes at the end).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { report } from "./report.js";

const LINES = Number(process.env.BENCH_RUN_LINES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_RUN_ROUNDS ?? 5);
const PACE_S = Number(process.env.BENCH_RUN_PACE_S ?? 2);
const ROOT = join(import.meta.dirname, "..");
const line = `"line " + i + " of the agent's output, some text to make it realistic\\n"`;
// The program reports its own time, from its first statement to its exit, on stderr: what awl
// costs the agent itself (stdout into awl's pipe rather than /dev/null), without awl's own start.
const program = [
  process.execPath,
  "-e",
  `const t0 = performance.now(); process.on("exit", () => process.stderr.write("OWN " + (performance.now() - t0) + "\\n"));
   let s = ""; for (let i = 0; i < ${LINES}; i++) { s += ${line}; if (s.length > 65536) { process.stdout.write(s); s = ""; } } process.stdout.write(s);`,
];
// The same lines in 200 writes spread evenly over PACE_S seconds (an agent prints, thinks, prints).
const BATCHES = 200;
const paced = [
  process.execPath,
  "-e",
  `const per = ${LINES / BATCHES}, start = Date.now(); let i = 0, b = 0;
   (function next() { let s = ""; for (const end = i + per; i < end; i++) s += ${line}; process.stdout.write(s);
     if (++b < ${BATCHES}) setTimeout(next, Math.max(0, start + (b * ${PACE_S * 1000}) / ${BATCHES} - Date.now())); })();`,
];
const nodeAlone = [process.execPath, "-e", ""];
const trueCmd = ["true"];
// BENCH_RUN_AWL: another build's bin/awl.js, to compare two versions on the same machine.
const awl = [process.execPath, process.env.BENCH_RUN_AWL ?? join(ROOT, "bin", "awl.js"), "run"];

const repo = mkdtempSync(join(tmpdir(), "awl-bench-run-repo-"));
const logs = mkdtempSync(join(tmpdir(), "awl-bench-run-"));
execFileSync("git", ["init", "-q"], { cwd: repo });
execFileSync("git", ["-c", "user.email=bench@example.com", "-c", "user.name=bench", "commit", "-q", "--allow-empty", "-m", "start"], { cwd: repo });

let n = 0;
/** Wall time in seconds, and the program's own time where it reports one (`OWN ms` on stderr). */
function wall(argv: string[], under: boolean): { wall: number; own: number } {
  const full = under ? [...awl, "--log-dir", logs, "--attempt-id", `bench-${n++}`, "--", ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(full[0]!, full.slice(1), { cwd: repo, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${full.join(" ")} exited ${r.status}: ${r.stderr}`);
  const own = /OWN ([\d.]+)/.exec(r.stderr);
  return { wall: seconds, own: own ? Number(own[1]) / 1000 : Number.NaN };
}

/** Best of `rounds`, bare and wrapped alternating so both see the same load. */
function pair(argv: string[], rounds: number): { bare: number; wrapped: number; ownBare: number; ownWrapped: number } {
  const best = { bare: Infinity, wrapped: Infinity, ownBare: Infinity, ownWrapped: Infinity };
  for (let i = 0; i < rounds; i++) {
    const b = wall(argv, false);
    const w = wall(argv, true);
    best.bare = Math.min(best.bare, b.wall);
    best.wrapped = Math.min(best.wrapped, w.wall);
    best.ownBare = Math.min(best.ownBare, b.own);
    best.ownWrapped = Math.min(best.ownWrapped, w.own);
  }
  return best;
}

const s = (x: number) => +x.toFixed(3);
const pct = (x: number) => `${Math.round(x * 100)} %`;
try {
  const load = loadavg()[0]!;
  const node = pair(nodeAlone, ROUNDS).bare;
  const fixed = pair(trueCmd, ROUNDS);
  const lines = pair(program, ROUNDS);
  const pace = pair(paced, Math.max(2, Math.ceil(ROUNDS / 2)));
  const fixedCost = fixed.wrapped - fixed.bare;
  const added = lines.wrapped - lines.bare;
  const perLine = added - fixedCost;
  report("run-overhead", [
    { metric: "lines printed", value: LINES },
    { metric: "program alone s", value: s(lines.bare) },
    { metric: "under awl run s", value: s(lines.wrapped) },
    { metric: "added (awl's start-up included)", value: pct(added / lines.bare), target: "< 10 %" },
    { metric: "added seconds", value: s(added) },
    { metric: "the program's own time (first statement to exit): alone s", value: s(lines.ownBare) },
    { metric: "the program's own time: under awl run s", value: s(lines.ownWrapped) },
    { metric: "the program's own time: added", value: pct((lines.ownWrapped - lines.ownBare) / lines.ownBare) },
    { metric: "fixed: awl run around `true`, s", value: s(fixedCost) },
    { metric: "  for scale: node -e '' alone, s", value: s(node) },
    { metric: "per-line: added minus fixed, s", value: s(perLine) },
    { metric: "per-line, % of the program", value: pct(perLine / lines.bare) },
    { metric: `at an agent's pace (${PACE_S} s): alone s`, value: s(pace.bare) },
    { metric: `at an agent's pace: under awl run s`, value: s(pace.wrapped) },
    { metric: "at an agent's pace: added", value: `${s(pace.wrapped - pace.bare)} s, ${pct((pace.wrapped - pace.bare) / pace.bare)}` },
    { metric: "load average (1 min) at the start", value: +load.toFixed(2) },
  ]);
} finally {
  rmSync(repo, { recursive: true, force: true });
  rmSync(logs, { recursive: true, force: true });
}
