// Runs INSIDE the loopback-only network namespace made by harness.ts (`unshare -n`):
//   node --import tsx test/e2e/realcli/launcher.ts SPEC.json
// It brings up lo, starts the mock model as a separate process, writes the CLI's config once the
// mock's port is known, runs the wrapper+CLI with exactly the given environment and stdin
// /dev/null, stdout/stderr straight into files (byte for byte), then stops the mock and writes
// RESULT.json. Everything happens in one namespace because the mock listens on the namespace's
// own 127.0.0.1, which nothing outside it can reach.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** What harness.ts hands over. "{{PORT}}" in files, argv and env values is replaced by the mock's port. */
export interface LaunchSpec {
  repoRoot: string;
  mock: { argv: string[]; portFile: string; stderrPath: string };
  files: { path: string; content: string }[];
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  stdoutPath: string;
  stderrPath: string;
  resultPath: string;
  timeoutMs: number;
}

export interface LaunchResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  port: number;
  interfaces: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// /proc/self/net reflects the caller's network namespace (unlike /sys/class/net, which shows
// the namespace that mounted sysfs), so this is what the CLI will see.
function interfaces(): string[] {
  return readFileSync("/proc/self/net/dev", "utf8")
    .split("\n")
    .slice(2)
    .map((l) => l.split(":")[0]?.trim() ?? "")
    .filter((n) => n !== "");
}

function bringUpLoopback(): string[] {
  const env = { ...process.env, PATH: `${process.env["PATH"] ?? ""}:/usr/sbin:/sbin` };
  const r = spawnSync("ip", ["link", "set", "lo", "up"], { env, encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`cannot bring up lo in the namespace (\`ip link set lo up\`): ${r.error?.message ?? r.stderr}`);
  const ifs = interfaces();
  // A namespace with any other interface could route off the machine: refuse to run the CLI.
  if (ifs.length !== 1 || ifs[0] !== "lo") throw new Error(`not a loopback-only network namespace (interfaces: ${ifs.join(", ")}); refusing to run the CLI`);
  return ifs;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) ok({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => ok({ code, signal }));
  });
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // the group is already gone
  }
}

async function startMock(spec: LaunchSpec): Promise<{ child: ChildProcess; port: number }> {
  const errFd = openSync(spec.mock.stderrPath, "w");
  const child = spawn(process.execPath, spec.mock.argv, { cwd: spec.repoRoot, stdio: ["ignore", "ignore", errFd] });
  closeSync(errFd);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (existsSync(spec.mock.portFile)) {
      const port = Number(readFileSync(spec.mock.portFile, "utf8"));
      if (port > 0) return { child, port };
    }
    await sleep(20);
  }
  child.kill("SIGKILL");
  throw new Error(`mock model did not start: ${readFileSync(spec.mock.stderrPath, "utf8").slice(-2000)}`);
}

async function stopMock(child: ChildProcess): Promise<void> {
  const exited = exitOf(child);
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
}

async function run(spec: LaunchSpec): Promise<LaunchResult> {
  const ifs = bringUpLoopback();
  const { child: mock, port } = await startMock(spec);
  try {
    const sub = (s: string): string => s.replaceAll("{{PORT}}", String(port));
    for (const f of spec.files) {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, sub(f.content));
    }
    const env = Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, sub(v)]));
    const argv = spec.argv.map(sub);
    const outFd = openSync(spec.stdoutPath, "w");
    const errFd = openSync(spec.stderrPath, "w");
    const started = Date.now();
    // own process group, so a timeout (and the clean-up below) reaches whatever the CLI started
    const cli = spawn(argv[0] ?? "", argv.slice(1), { cwd: spec.cwd, env, stdio: ["ignore", outFd, errFd], detached: true });
    closeSync(outFd);
    closeSync(errFd);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(cli.pid, "SIGTERM");
      setTimeout(() => killGroup(cli.pid, "SIGKILL"), 3000).unref();
    }, spec.timeoutMs);
    const spawnError = new Promise<Error>((ok) => cli.once("error", ok));
    const outcome = await Promise.race([exitOf(cli), spawnError]);
    clearTimeout(timer);
    if (outcome instanceof Error) throw new Error(`cannot start ${argv[0]}: ${outcome.message}`);
    // leftovers (background shells the agent started) must not outlive the run
    killGroup(cli.pid, "SIGKILL");
    return { exitCode: outcome.code, signal: outcome.signal, timedOut, durationMs: Date.now() - started, port, interfaces: ifs };
  } finally {
    await stopMock(mock);
  }
}

const specPath = process.argv[2];
if (!specPath) {
  process.stderr.write("usage: launcher.ts SPEC.json\n");
  process.exit(2);
}
const spec = JSON.parse(readFileSync(specPath, "utf8")) as LaunchSpec;
run(spec).then(
  (result) => {
    writeFileSync(spec.resultPath, JSON.stringify(result));
    process.exit(0);
  },
  (e: unknown) => {
    process.stderr.write(`launcher: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
