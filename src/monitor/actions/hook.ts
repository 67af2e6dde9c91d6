import { spawn } from "node:child_process";
import { ENV_VARS } from "../../config/env.js";
import type { Alert } from "../../schema/alert.js";

export interface HookConfig {
  /** argv: the program and its arguments. Never run through a shell. */
  command: string[];
  timeoutMs?: number;
}

export interface HookResult {
  /** The program's exit status; null when it was killed or could not start. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** At most `maxOutputBytes` of each stream (the start; `truncated` says when more was cut). */
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** Why it could not run (ENOENT: no such program). */
  error?: string;
}

/** A hook's run as the fields of its action record in agent-alerts.jsonl (exit 0 is "ok"). */
export function hookOutcome(r: HookResult) {
  return {
    status: r.exitCode === 0 ? ("ok" as const) : ("failed" as const),
    exit_code: r.exitCode,
    ...(r.error ? { error: r.error } : {}),
    duration_ms: r.durationMs,
    timed_out: r.timedOut,
    stdout: r.stdout,
    stderr: r.stderr,
    output_truncated: r.truncated,
  };
}

export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 1000;

/**
 * The alert as environment variables for the hook. Values are passed as they are (the only
 * change: NUL, which an environment cannot hold, is removed); the program receives them as
 * data and no shell ever sees them.
 */
export function hookEnv(alert: Alert): Record<string, string> {
  const pairs: [string, unknown][] = [
    ["AWL_ALERT_ID", alert.alert_id],
    ["AWL_ALERT_TYPE", alert.type],
    ["AWL_SEVERITY", alert.severity],
    ["AWL_RECOMMENDATION", alert.recommendation],
    ["AWL_MESSAGE", alert.message],
    ["AWL_ATTEMPT_ID", alert.attempt_id],
    ["AWL_SESSION_ID", alert.session_id],
    ["AWL_TASK_ID", alert.task_id],
    ["AWL_PROJECT_ID", alert.project_id],
    ["AWL_EXECUTOR", alert.executor],
    ["AWL_MODEL", alert.model],
    ["AWL_OCCURRENCES", alert.occurrences],
    ["AWL_FIRST_SEEN", alert.first_seen],
    ["AWL_LAST_SEEN", alert.last_seen],
    ["AWL_ERROR_FINGERPRINT", alert.error_fingerprint],
    ["AWL_ERROR_CATEGORY", alert.error_category],
    ["AWL_TOOL_NAME", alert.tool_name],
    ["AWL_ALERT_TIMESTAMP", alert.timestamp],
  ];
  const env: Record<string, string> = {};
  for (const [k, v] of pairs) if (v !== undefined && v !== null) env[k] = String(v).replaceAll("\0", "");
  return env;
}

/** The environment a hook inherits: awl's own, minus every credential awl knows of (bot token, webhook secret). */
export function hookBaseEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const v of ENV_VARS) if (v.secret) delete out[v.name];
  return out;
}

/**
 * Runs the on_alert hook for one alert: the program from `command[0]` with the rest as its
 * arguments, without a shell, in a process group of its own; the alert in `AWL_*`
 * environment variables and as one JSON object on stdin. At the timeout the whole group gets
 * SIGTERM, then SIGKILL a second later, so a hook's children die with it. Never throws.
 */
export function runAlertHook(
  hook: HookConfig,
  alert: Alert,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; maxOutputBytes?: number } = {},
): Promise<HookResult> {
  const started = performance.now();
  const max = opts.maxOutputBytes ?? 8192;
  const timeoutMs = hook.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  return new Promise((resolve) => {
    const [program, ...args] = hook.command;
    if (!program) {
      resolve({ exitCode: null, signal: null, timedOut: false, durationMs: 0, stdout: "", stderr: "", truncated: false, error: "empty command" });
      return;
    }
    const child = spawn(program, args, {
      shell: false,
      detached: true,
      cwd: opts.cwd,
      env: { ...hookBaseEnv(opts.env), ...hookEnv(alert) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), truncated: false };
    const collect = (key: "stdout" | "stderr") => (d: Buffer) => {
      const room = max - out[key].length;
      if (d.length > room) out.truncated = true;
      if (room > 0) out[key] = Buffer.concat([out[key], d.subarray(0, room)]);
    };
    child.stdout.on("data", collect("stdout"));
    child.stderr.on("data", collect("stderr"));
    child.stdin.on("error", () => undefined); // a hook that does not read stdin closes it early
    child.stdin.end(`${JSON.stringify(alert)}\n`);

    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS);
    }, timeoutMs);

    let spawnError: string | undefined;
    child.once("error", (err) => {
      spawnError = `${(err as NodeJS.ErrnoException).code ?? "error"}: ${err.message}`;
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      // A timed-out hook's stragglers (children that ignored SIGTERM) go too.
      if (timedOut) killGroup("SIGKILL");
      resolve({
        exitCode: spawnError ? null : code,
        signal,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        stdout: out.stdout.toString("utf8"),
        stderr: out.stderr.toString("utf8"),
        truncated: out.truncated,
        error: spawnError ?? (timedOut ? `timed out after ${timeoutMs} ms` : undefined),
      });
    });
  });
}
