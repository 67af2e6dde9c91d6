// `awl import` over a generated corpus of real-format session files (Claude Code session files
// and Codex rollouts, made from real transcripts with fresh ids and shifted timestamps, so nothing
// dedupes away), against, in the same run: a baseline that reads every file and JSON.parses every
// line on one thread, and ccusage 20.0.24 summarising the same files. ccusage is installed by the
// bench into a cache folder, not pinned in package.json: this registry serves only its linux-x64
// binary package, so a lock file naming it cannot pass `npm ci`.
// Sizes: BENCH_CLAUDE_MB (default 500) and BENCH_CODEX_MB (default 200). awl runs as built (`npm run build` first).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { report } from "./report.js";

const ROOT = join(import.meta.dirname, "..");
const SHARED = process.env.AWL_SHARED_DIR ?? join(ROOT, "..", "shared");
const CLAUDE_MB = Number(process.env.BENCH_CLAUDE_MB ?? 500);
const CODEX_MB = Number(process.env.BENCH_CODEX_MB ?? 200);

function sources(dirs: string[], pick: (f: string) => boolean): string[] {
  return dirs.flatMap((d) => {
    try {
      return readdirSync(d).filter(pick).map((f) => readFileSync(join(d, f), "utf8"));
    } catch {
      return [];
    }
  });
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const ISO = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)/g;
const IDS = /\b(msg|toolu|req|call|resp|fc)_([A-Za-z0-9]{8,})/g;

/** A copy of a transcript with every id fresh (consistently within the copy) and its times shifted. */
function freshCopy(text: string, copy: number): { text: string; id: string } {
  const map = new Map<string, string>();
  const fresh = (s: string) => {
    let v = map.get(s);
    if (!v) {
      const h = createHash("sha256").update(`${copy}:${s}`).digest("hex");
      v = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
      map.set(s, v);
    }
    return v;
  };
  const shift = copy * 3_600_000;
  const out = text
    .replace(UUID, (m) => fresh(m))
    .replace(IDS, (_m, p: string, rest: string) => `${p}_${createHash("sha256").update(`${copy}:${rest}`).digest("hex").slice(0, rest.length)}`)
    .replace(ISO, (m) => {
      const t = Date.parse(m);
      return Number.isNaN(t) ? m : new Date(t + shift).toISOString();
    });
  const first = text.match(UUID)?.[0];
  return { text: out, id: first ? fresh(first) : `copy-${copy}` };
}

function generate(dir: string): { claudeBytes: number; codexBytes: number; files: number } {
  const claudeReal = sources([join(ROOT, "test/fixtures/real/claude")], (f) => f.endsWith(".session.jsonl"));
  const claudePublic = sources([join(SHARED, "fixtures/public/claude")], (f) => f.endsWith(".jsonl"));
  const codexSrc = [...sources([join(ROOT, "test/fixtures/real/codex")], (f) => f.endsWith(".session.jsonl")), ...sources([join(SHARED, "fixtures/public/codex")], (f) => f.endsWith(".jsonl"))];
  let claudeBytes = 0;
  let codexBytes = 0;
  let files = 0;
  const pool = [...claudeReal, ...claudePublic];
  for (let copy = 0; claudeBytes < CLAUDE_MB * 1048576; copy++) {
    const src = pool[copy % pool.length]!;
    const { text, id } = freshCopy(src, copy);
    const d = join(dir, "claude", "projects", `-bench-project-${copy % 40}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `${id}.jsonl`), text);
    claudeBytes += Buffer.byteLength(text);
    files++;
  }
  for (let copy = 0; codexBytes < CODEX_MB * 1048576; copy++) {
    const src = codexSrc[copy % codexSrc.length]!;
    const { text, id } = freshCopy(src, copy);
    const day = String(1 + (copy % 28)).padStart(2, "0");
    const d = join(dir, "codex", "sessions", "2026", "11", day);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `rollout-2026-11-${day}T10-00-00-${id}.jsonl`), text);
    codexBytes += Buffer.byteLength(text);
    files++;
  }
  return { claudeBytes, codexBytes, files };
}

/**
 * Sessions that went on after the import: every 20th file gets its own last 20 lines again with
 * fresh record ids (the session id kept), as an agent still running would add. Returns MB added.
 */
function grow(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const [i, f] of walk(dir).entries()) {
    if (i % 20 !== 0) continue;
    const text = readFileSync(f, "utf8");
    const keep = f.match(UUID)?.at(-1);
    const tail = text.trimEnd().split("\n").slice(-20).join("\n");
    const more = `${tail.replace(UUID, (m) => (m === keep ? m : createHash("sha256").update(`grow:${m}`).digest("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, "$1-$2-$3-$4-$5")))}\n`;
    appendFileSync(f, more);
    files++;
    bytes += Buffer.byteLength(more);
  }
  return { files, bytes };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function baseline(dir: string): number {
  const t0 = performance.now();
  let n = 0;
  for (const f of walk(dir)) {
    for (const line of readFileSync(f, "utf8").split("\n")) if (line) n += JSON.parse(line) ? 1 : 0;
  }
  if (n === 0) throw new Error("empty corpus");
  return (performance.now() - t0) / 1000;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): { seconds: number; maxRssMb: number; stdout: string } {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", cmd, ...args], { env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const last = r.stderr.trim().split("\n").at(-1) ?? "";
  const [secs, kb] = last.split(" ");
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.slice(-500)}`);
  return { seconds: Number(secs), maxRssMb: Math.round(Number(kb) / 1024), stdout: r.stdout };
}

/** ccusage 20.0.24, installed once into a cache folder outside the project. */
function ccusageBin(): string {
  const prefix = join(tmpdir(), "awl-bench-ccusage-20.0.24");
  const bin = join(prefix, "node_modules", ".bin", "ccusage");
  if (!existsSync(bin)) {
    const r = spawnSync("npm", ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "ccusage@20.0.24"], { stdio: "inherit" });
    if (r.status !== 0) throw new Error("could not install ccusage@20.0.24 for the comparison");
  }
  return bin;
}

const dir = mkdtempSync(join(tmpdir(), "awl-bench-import-"));
try {
  const corpus = join(dir, "corpus");
  const gen = generate(corpus);
  // The corpus is 700 MB written a moment ago. Left dirty, the kernel writes it back (after 30 s)
  // in the middle of a measurement, and every file awl creates then waits on the journal. A
  // user's session files were written over months: measure against files on disk.
  spawnSync("sync");
  const mb = (gen.claudeBytes + gen.codexBytes) / 1048576;
  const tBase = baseline(corpus);
  const ccusage = timed(ccusageBin(), ["daily", "--json", "--offline"], {
    CLAUDE_CONFIG_DIR: join(corpus, "claude"),
    CODEX_HOME: join(corpus, "codex"),
    HOME: join(dir, "empty-home"),
  });
  const logDir = join(dir, "logs");
  // The command as users run it: the built CLI, in a process of its own (its wall time and peak RSS).
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("npm run build failed");
  const awl = [join(ROOT, "bin", "awl.js"), "import", "--log-dir", logDir, "--json", join(corpus, "claude"), join(corpus, "codex")];
  const first = timed(process.execPath, awl, {});
  const firstOut = { summary: JSON.parse(first.stdout.trim().split("\n").at(-1)!) as { events: number; sessions: number } };
  const again = timed(process.execPath, awl, {});
  const againOut = { summary: JSON.parse(again.stdout.trim().split("\n").at(-1)!) as { events: number; unchanged: number } };
  const grew = grow(corpus);
  spawnSync("sync");
  const grown = timed(process.execPath, awl, {});
  const grownOut = JSON.parse(grown.stdout.trim().split("\n").at(-1)!) as { events: number; files: number; duplicates: number };
  report("import", [
    { metric: "corpus MB (Claude + Codex)", value: `${Math.round(gen.claudeBytes / 1048576)} + ${Math.round(gen.codexBytes / 1048576)}` },
    { metric: "files", value: gen.files },
    { metric: "baseline read + JSON.parse, 1 thread MB/s", value: Math.round(mb / tBase) },
    { metric: "ccusage 20.0.24 daily MB/s", value: Math.round(mb / ccusage.seconds) },
    { metric: "awl import, first MB/s", value: Math.round(mb / first.seconds), target: ">= 150" },
    { metric: "awl import, first: sessions / events", value: `${firstOut.summary.sessions} / ${firstOut.summary.events}` },
    { metric: "awl import, first: peak RSS MB", value: first.maxRssMb, target: "< 300" },
    { metric: "ratio awl/baseline", value: +(tBase / first.seconds).toFixed(2) },
    { metric: "ratio awl/ccusage", value: +(ccusage.seconds / first.seconds).toFixed(2) },
    { metric: "awl import again (unchanged) s", value: +again.seconds.toFixed(2), target: "< 1" },
    { metric: "awl import again: events added", value: againOut.summary.events },
    { metric: "ccusage full rescan s", value: +ccusage.seconds.toFixed(2) },
    { metric: "grown: files / MB appended", value: `${grew.files} / ${(grew.bytes / 1048576).toFixed(1)}` },
    { metric: "awl import of the grown corpus s", value: +grown.seconds.toFixed(2) },
    { metric: "grown: files read / events added / recognised again", value: `${grownOut.files} / ${grownOut.events} / ${grownOut.duplicates}` },
    { metric: "grown import / first import, time per MB appended vs per MB", value: +((grown.seconds / (grew.bytes / 1048576)) / (first.seconds / mb)).toFixed(2) },
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
