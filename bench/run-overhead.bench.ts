// `awl run` overhead: the wall time of a program printing 200 000 lines, with and without
// `awl run` around it, measured in the same run (best of 3 each). Target: < 10 % added.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { report } from "./report.js";

const LINES = Number(process.env.BENCH_RUN_LINES ?? 200_000);
const ROOT = join(import.meta.dirname, "..");
const program = [process.execPath, "-e", `let s = ""; for (let i = 0; i < ${LINES}; i++) { s += "line " + i + " of the agent's output, some text to make it realistic\\n"; if (s.length > 65536) { process.stdout.write(s); s = ""; } } process.stdout.write(s);`];
const awl = [process.execPath, join(ROOT, "bin", "awl.js"), "run"];

function wall(argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}`);
  return (performance.now() - t0) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), "awl-bench-run-"));
try {
  let bare = Infinity;
  let wrapped = Infinity;
  for (let i = 0; i < 3; i++) {
    bare = Math.min(bare, wall(program));
    wrapped = Math.min(wrapped, wall([...awl, "--log-dir", dir, "--attempt-id", `bench-${i}`, "--", ...program]));
  }
  report("run-overhead", [
    { metric: "lines printed", value: LINES },
    { metric: "program alone s", value: +bare.toFixed(3) },
    { metric: "under awl run s", value: +wrapped.toFixed(3) },
    { metric: "added (includes awl's ~0.3 s start)", value: `${Math.round(((wrapped - bare) / bare) * 100)} %`, target: "< 10 %" },
    { metric: "added seconds", value: +(wrapped - bare).toFixed(3) },
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
