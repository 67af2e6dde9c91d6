import type { Command, OptionValues } from "@commander-js/extra-typings";
import { type AwlConfig, loadConfig } from "../config/index.js";

/** Options every command takes. */
export interface CommonOptions {
  logDir?: string;
  config?: string;
  json?: boolean;
}

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ends long-running commands (tail -f, watch, serve); SIGINT/SIGTERM abort it. */
  signal?: AbortSignal;
}

export function defaultIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

export function configFor(io: Io, opts: CommonOptions): AwlConfig {
  return loadConfig({ flags: { logDir: opts.logDir, config: opts.config }, env: io.env, cwd: io.cwd });
}

/** The commander options that every command declares (SPEC §3: every command takes --log-dir and --json). */
export function commonOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  cmd: Command<Args, Opts, Globals>,
) {
  return cmd
    .option("--log-dir <dir>", "log directory (default: $AGENT_WORK_LOG_DIR or .cache/agent-work-logs)")
    .option("--config <file>", "config file (default: ./awl.config.json if present)")
    .option("--json", "machine-readable output");
}

/** Resolves when the command is told to stop (io.signal aborts); at once if it already was, never without a signal. */
export function untilStopped(io: Io): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!io.signal || io.signal.aborted) {
      if (io.signal?.aborted) resolve();
      return;
    }
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}
