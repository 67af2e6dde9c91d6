// Runs a real, pinned agent CLI against the project's mock model, inside one loopback-only
// network namespace, with a throwaway HOME / TMPDIR / git work repo per run. See README.md.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import type { LoggedRequest, Scenario } from "../mock-model/server.js";
import type { LaunchResult, LaunchSpec } from "./launcher.js";

export type CliName = "codex" | "claude" | "gemini";

export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
export const SCENARIOS_DIR = resolve(import.meta.dirname, "../mock-model/scenarios");
const MOCK_SERVER = resolve(import.meta.dirname, "../mock-model/server.ts");
const LAUNCHER = resolve(import.meta.dirname, "launcher.ts");

export interface SandboxOptions {
  cli: CliName;
  /** A scenario name from test/e2e/mock-model/scenarios, a path to a scenario JSON, or the scenario itself. */
  scenario: string | Scenario;
  /**
   * A wrapper argv placed before the CLI argv, e.g. ["node", "/abs/bin/awl.js", "run", "--log-dir", X, "--"].
   * It runs in the scratch work repo with the CLI's clean environment, so give absolute paths.
   */
  command?: string[];
  /** Kills the wrapper+CLI process group after this long (default 60 s). */
  timeoutMs?: number;
  /**
   * How often the CLI retries a failing model request (default 1, so api_error ends in about a
   * second with one retry notice). Codex: stream_max_retries (HTTP-level retries 0); Claude Code:
   * CLAUDE_CODE_MAX_RETRIES. Gemini CLI has no such knob: with api_error it takes minutes.
   */
  maxRetries?: number;
  /** Extra environment for the wrapper and the CLI (e.g. the wrapper's own settings). */
  env?: Record<string, string>;
  /** Extra CLI arguments appended after the standard ones (e.g. ["--include-partial-messages"]). */
  cliArgs?: string[];
  /** Overrides the scenario's prompt. */
  prompt?: string;
  /** Runs this CLI executable instead of the pinned one from node_modules (e.g. another version). */
  cliBin?: string;
  /** Mock answer delay; 0 (default) keeps runs fast. */
  latencyMs?: number;
}

export interface SandboxResult {
  /** null when the process was ended by a signal (see `signal`). */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Exactly what the wrapper+CLI wrote. */
  stdout: Buffer;
  stderr: Buffer;
  /** The scratch folder holding everything below; removed by cleanup(). */
  scratch: string;
  home: string;
  workdir: string;
  tmpdir: string;
  mockRequests: LoggedRequest[];
  /** The CLI's own session file(s) under `home`, sorted. */
  sessionFiles: string[];
  /** The argv and environment the wrapper+CLI ran with ("{{PORT}}" stands for the mock's port). */
  argv: string[];
  env: Record<string, string>;
  /** The network interfaces inside the namespace (always just "lo"). */
  interfaces: string[];
  cleanup(): void;
}

// ------------------------------------------------------------------ the namespace

let unsharePrefix: string[] | undefined;

/**
 * The command that puts a process into a fresh network namespace (only lo, and that down).
 * Throws when the machine does not allow it: the tests must fail, not reach the network.
 */
export function probeNetns(unshare = "unshare"): string[] {
  const attempts: string[][] = [[unshare, "-n"]];
  // without root, a user namespace can still own a network namespace where that is allowed
  if (process.getuid?.() !== 0) attempts.push([unshare, "-r", "-n"]);
  const errors: string[] = [];
  for (const prefix of attempts) {
    const r = spawnSync(unshare, [...prefix.slice(1), "true"], { encoding: "utf8" });
    if (!r.error && r.status === 0) return prefix;
    errors.push(`\`${prefix.join(" ")} true\`: ${r.error?.message ?? (r.stderr.trim() || `exit ${r.status}`)}`);
  }
  throw new Error(
    `The real-CLI tests need a loopback-only network namespace, but \`unshare -n\` is not permitted here (${errors.join("; ")}). ` +
      "Run them as root (as CI does), or where unprivileged user namespaces are enabled. The CLI is never run outside a namespace.",
  );
}

function netnsPrefix(): string[] {
  unsharePrefix ??= probeNetns();
  return unsharePrefix;
}

// ------------------------------------------------------------------ per-CLI setup

interface CliSetup {
  argv: string[];
  env: Record<string, string>;
  files: { path: string; content: string }[];
  sessionFiles(home: string): string[];
}

const bin = (name: string): string => join(REPO_ROOT, "node_modules", ".bin", name);

function requireInstalled(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} is not installed (${path} is missing). Run \`npm ci\`: the pinned CLI is a devDependency.`);
  return path;
}

function findFiles(dir: string, match: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile() && match(p))
    .sort();
}

function codexSetup(home: string, prompt: string, maxRetries: number, cliBin: string | undefined): CliSetup {
  const codexHome = join(home, ".codex");
  // - gpt-5.5 is in Codex's bundled model list; an unknown slug loses the apply_patch tool.
  // - [analytics] off: otherwise Codex flushes metrics to ab.chatgpt.com at exit and waits ~5 s
  //   for that to fail inside the namespace.
  // - [features] plugins off: otherwise it syncs curated plugins from GitHub at start (git
  //   ls-remote, then api.github.com), which fails here.
  // - request_max_retries 0 / stream_max_retries N: HTTP-level retries are invisible in Codex's
  //   output and back off for seconds; stream retries print "Reconnecting... n/N".
  const config = `# written by test/e2e/realcli/harness.ts: route Codex to the mock model in the sandbox
model = "gpt-5.5"
model_provider = "mock"

[features]
plugins = false

[analytics]
enabled = false

[model_providers.mock]
name = "Mock"
base_url = "http://127.0.0.1:{{PORT}}/v1"
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = ${maxRetries}
`;
  return {
    argv: [cliBin ?? requireInstalled(bin("codex"), "Codex CLI (@openai/codex)"), "exec", "--json", "--dangerously-bypass-approvals-and-sandbox", "--skip-git-repo-check", prompt],
    env: { HOME: home, CODEX_HOME: codexHome, MOCK_API_KEY: "mock-not-a-real-key" },
    files: [{ path: join(codexHome, "config.toml"), content: config }],
    sessionFiles: (h) => findFiles(join(h, ".codex", "sessions"), (p) => /\/rollout-[^/]*\.jsonl$/.test(p)),
  };
}

function claudeBinary(): string {
  const pkg = join(REPO_ROOT, "node_modules", "@anthropic-ai");
  const launcher = join(pkg, "claude-code", "bin", "claude.exe");
  // Its postinstall copies the native binary over a small placeholder; npm may skip install scripts.
  if (existsSync(launcher) && statSync(launcher).size > 1_000_000) return launcher;
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  for (const suffix of [`linux-${arch}`, `linux-${arch}-musl`, `darwin-${arch}`]) {
    const native = join(pkg, `claude-code-${suffix}`, "claude");
    if (existsSync(native)) return native;
  }
  return requireInstalled(launcher, "Claude Code (@anthropic-ai/claude-code)");
}

function claudeSetup(home: string, tmp: string, prompt: string, maxRetries: number, cliBin: string | undefined): CliSetup {
  return {
    argv: [cliBin ?? claudeBinary(), "-p", prompt, "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions"],
    env: {
      HOME: home,
      CLAUDE_CODE_TMPDIR: tmp,
      ANTHROPIC_BASE_URL: "http://127.0.0.1:{{PORT}}",
      ANTHROPIC_API_KEY: "sk-ant-mock-not-a-real-key",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_ERROR_REPORTING: "1",
      // we run as root; without it --dangerously-skip-permissions refuses to start
      IS_SANDBOX: "1",
      CLAUDE_CODE_MAX_RETRIES: String(maxRetries),
    },
    files: [],
    sessionFiles: (h) => findFiles(join(h, ".claude", "projects"), (p) => p.endsWith(".jsonl")),
  };
}

function geminiSetup(home: string, prompt: string, cliBin: string | undefined): CliSetup {
  const settings = {
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    security: { auth: { selectedType: "gemini-api-key" }, folderTrust: { enabled: false } },
  };
  return {
    argv: [cliBin ?? requireInstalled(bin("gemini"), "Gemini CLI (@google/gemini-cli)"), "-p", prompt, "--output-format", "stream-json", "--yolo"],
    env: { HOME: home, GEMINI_API_KEY: "mock-not-a-real-key", GOOGLE_GEMINI_BASE_URL: "http://127.0.0.1:{{PORT}}" },
    files: [{ path: join(home, ".gemini", "settings.json"), content: `${JSON.stringify(settings, null, 2)}\n` }],
    sessionFiles: (h) => findFiles(join(h, ".gemini", "tmp"), (p) => p.includes("/chats/")),
  };
}

// ------------------------------------------------------------------ scratch

function makeRepo(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "README.md"), "# Demo repo\n\nA tiny repository used to record coding-agent transcripts.\n");
  writeFileSync(join(dir, "calc.py"), "def add(a, b):\n    return a + b\n");
  // fixed identity and dates, and no global config, so every run starts from the same commit
  const env = { PATH: process.env["PATH"] ?? "", HOME: dir, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z" };
  const git = (...args: string[]): void => {
    execFileSync("git", args, { cwd: dir, env, stdio: "ignore" });
  };
  git("init", "-q", "-b", "main");
  git("add", "README.md", "calc.py");
  git("-c", "user.email=fixture@example.invalid", "-c", "user.name=fixture", "commit", "-qm", "initial commit");
}

function resolveScenario(scenario: string | Scenario, scratch: string): { path: string; script: Scenario } {
  if (typeof scenario !== "string") {
    const path = join(scratch, "scenario.json");
    writeFileSync(path, JSON.stringify(scenario, null, 2));
    return { path, script: scenario };
  }
  const path = scenario.endsWith(".json") || scenario.includes("/") ? resolve(scenario) : join(SCENARIOS_DIR, `${scenario}.json`);
  if (!existsSync(path)) throw new Error(`no such scenario: ${scenario} (${path})`);
  return { path, script: JSON.parse(readFileSync(path, "utf8")) as Scenario };
}

function cleanPath(): string {
  // The CLI's shell and the codex/gemini node wrappers need node. npm/npx put node_modules/.bin
  // first; drop it so a run sees the same tools however the tests were started.
  const parts = (process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter).filter((d) => d !== "" && !/[/\\]node_modules[/\\]\.bin$/.test(d));
  const nodeDir = dirname(process.execPath);
  return (parts.includes(nodeDir) ? parts : [nodeDir, ...parts]).join(delimiter);
}

function readLog(path: string): LoggedRequest[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as LoggedRequest);
}

// ------------------------------------------------------------------ run

export async function runInSandbox(opts: SandboxOptions): Promise<SandboxResult> {
  const prefix = netnsPrefix();
  if (opts.command?.some((a, i) => i > 0 && /\.[cm]?[jt]s$/.test(a) && !isAbsolute(a) && !a.startsWith("file:"))) {
    throw new Error(`runInSandbox: the wrapper runs in the scratch work repo; give its script an absolute path (got ${JSON.stringify(opts.command)})`);
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxRetries = opts.maxRetries ?? 1;
  const scratch = mkdtempSync(join(tmpdir(), `awl-realcli-${opts.cli}-`));
  const home = join(scratch, "home");
  const tmp = join(scratch, "tmp");
  const workdir = join(scratch, "work");
  const run = join(scratch, "run");
  for (const d of [home, tmp, run]) mkdirSync(d, { recursive: true });
  makeRepo(workdir);
  const { path: scriptPath, script } = resolveScenario(opts.scenario, scratch);
  const prompt = opts.prompt ?? script.prompt;

  const setup =
    opts.cli === "codex" ? codexSetup(home, prompt, maxRetries, opts.cliBin) : opts.cli === "claude" ? claudeSetup(home, tmp, prompt, maxRetries, opts.cliBin) : geminiSetup(home, prompt, opts.cliBin);
  const env: Record<string, string> = {
    PATH: cleanPath(),
    LANG: "C.UTF-8",
    SHELL: "/bin/bash",
    USER: userInfo().username,
    TMPDIR: tmp,
    ...setup.env,
    ...opts.env,
  };
  const argv = [...(opts.command ?? []), ...setup.argv, ...(opts.cliArgs ?? [])];
  const files = {
    stdout: join(run, "stdout"),
    stderr: join(run, "stderr"),
    result: join(run, "result.json"),
    mockLog: join(run, "mock.jsonl"),
    mockPort: join(run, "mock.port"),
    mockStderr: join(run, "mock.stderr"),
    spec: join(run, "spec.json"),
  };
  const spec: LaunchSpec = {
    repoRoot: REPO_ROOT,
    mock: {
      argv: ["--import", "tsx", MOCK_SERVER, "--script", scriptPath, "--port-file", files.mockPort, "--log", files.mockLog, "--workdir", workdir, "--latency-ms", String(opts.latencyMs ?? 0)],
      portFile: files.mockPort,
      stderrPath: files.mockStderr,
    },
    files: setup.files,
    argv,
    env,
    cwd: workdir,
    stdoutPath: files.stdout,
    stderrPath: files.stderr,
    resultPath: files.result,
    timeoutMs,
  };
  writeFileSync(files.spec, JSON.stringify(spec, null, 2));

  const [cmd = "unshare", ...cmdArgs] = prefix;
  const launcher = spawn(cmd, [...cmdArgs, "--", process.execPath, "--import", "tsx", LAUNCHER, files.spec], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let diag = "";
  launcher.stdout.on("data", (d: Buffer) => (diag += d.toString()));
  launcher.stderr.on("data", (d: Buffer) => (diag += d.toString()));
  // The launcher enforces timeoutMs itself; this only catches a launcher that hangs.
  const guard = setTimeout(() => {
    try {
      if (launcher.pid !== undefined) process.kill(-launcher.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, timeoutMs + 30_000);
  const status = await new Promise<number | null>((ok, fail) => {
    launcher.once("error", fail);
    launcher.once("close", (code) => ok(code));
  }).finally(() => clearTimeout(guard));
  if (status !== 0 || !existsSync(files.result)) {
    throw new Error(`runInSandbox(${opts.cli}, ${typeof opts.scenario === "string" ? opts.scenario : (opts.scenario.name ?? "inline")}) failed before the CLI finished (launcher exit ${status}): ${diag.trim() || "(no output)"}\nscratch kept at ${scratch}`);
  }
  const result = JSON.parse(readFileSync(files.result, "utf8")) as LaunchResult;
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    stdout: readFileSync(files.stdout),
    stderr: readFileSync(files.stderr),
    scratch,
    home,
    workdir,
    tmpdir: tmp,
    mockRequests: readLog(files.mockLog),
    sessionFiles: setup.sessionFiles(home),
    argv,
    env,
    interfaces: result.interfaces,
    cleanup: () => rmSync(scratch, { recursive: true, force: true }),
  };
}
