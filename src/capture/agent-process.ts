import { type ChildProcess, spawn } from "node:child_process";
import type { Writable } from "node:stream";
import type { AwlConfig } from "../config/schema.js";
import { ensureDir } from "../store/fs.js";
import { logPaths } from "../store/paths.js";
import { type GitState, gitState } from "./git.js";

/**
 * The agent's process, started before the rest of `awl run` is ready: its output is passed
 * through from the first byte, and kept until the parser and writer (slower to load) take it
 * over. This module loads nothing but Node's own, so `awl run` can start the agent early and
 * load the rest while the agent works.
 */
export interface AgentProcess {
  /** Undefined when spawn() itself threw (then `exit` carries the error). */
  readonly child: ChildProcess | undefined;
  /** Its own process group (not on a terminal): stops go to the whole group. */
  readonly detached: boolean;
  /** When it was started (the injected clock's reading; the session's start). */
  readonly startedAt: number;
  /** performance.now() when it was started (for timeouts that count from the start). */
  readonly startedMono: number;
  /** Settles once, when it has exited and its output is closed, or could not be started. */
  readonly exit: Promise<AgentExit>;
  /**
   * Hands over its output: what was read so far at once, in order, then each chunk as it is
   * read; `at` is when the chunk was read (the injected clock's reading).
   */
  consume(onStdout: OnChunk, onStderr: OnChunk): void;
}

export type OnChunk = (chunk: Buffer, at: number) => void;

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: NodeJS.ErrnoException;
}

export interface StartOptions {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to its stdin, which is then closed (else stdin is the terminal or /dev/null). */
  input?: string;
  /** Where its output is passed through, byte for byte. */
  stdout: Writable;
  stderr: Writable;
  /** awl runs on a terminal: the agent inherits stdin and stays in the foreground group. */
  interactive: boolean;
  now?: () => number;
}

export function startAgent(opts: StartOptions): AgentProcess {
  const [cmd, ...args] = opts.argv;
  if (!cmd) throw new Error("no command to run");
  const now = opts.now ?? Date.now;
  const startedAt = now();
  const startedMono = performance.now();
  const detached = !opts.interactive;
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: [opts.input !== undefined ? "pipe" : opts.interactive ? "inherit" : "ignore", "pipe", "pipe"],
      // Its own process group, so a timeout or an intervention stops the agent's children too.
      // Not on a terminal: there the agent must stay in the foreground group to read the keyboard.
      detached,
    });
  } catch (err) {
    const exit = Promise.resolve({ code: null, signal: null, spawnError: err as NodeJS.ErrnoException });
    return { child: undefined, detached, startedAt, startedMono, exit, consume: () => undefined };
  }
  // Listening at once: an agent that cannot be started reports it on the next tick.
  const exit = new Promise<AgentExit>((resolve) => {
    child.once("error", (err) => resolve({ code: null, signal: null, spawnError: err as NodeJS.ErrnoException }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  if (opts.input !== undefined && child.stdin) {
    child.stdin.on("error", () => undefined); // an agent that never reads stdin closes it early
    child.stdin.end(opts.input);
  }
  const out = handOver(child.stdout!, opts.stdout, now);
  const err = handOver(child.stderr!, opts.stderr, now);
  // Both streams share one list while nobody consumes, so their chunks keep the order they came in.
  const early: [typeof out, Buffer, number][] = [];
  out.keep = (chunk, at) => early.push([out, chunk, at]);
  err.keep = (chunk, at) => early.push([err, chunk, at]);
  return {
    child,
    detached,
    startedAt,
    startedMono,
    exit,
    consume(onStdout, onStderr) {
      out.keep = onStdout;
      err.keep = onStderr;
      for (const [from, chunk, at] of early.splice(0)) from.keep(chunk, at);
    },
  };
}

/**
 * Copies a child's output to `sink` unchanged (pausing while the sink is full) and hands each
 * chunk on. A sink that closes (its reader went away: `awl run … | head`) stops the copy, not
 * the recording: the agent is drained and recorded to its end.
 */
function handOver(source: NodeJS.ReadableStream, sink: Writable, now: () => number) {
  const h: { keep: OnChunk } = { keep: () => undefined };
  // Its EPIPE is expected here; the CLI listens too, a library caller may not.
  if (sink.listenerCount("error") === 0) sink.on("error", () => undefined);
  source.on("data", (chunk: Buffer) => {
    if (!sink.destroyed && !sink.write(chunk)) {
      source.pause();
      const resume = () => {
        sink.off("drain", resume);
        sink.off("close", resume);
        source.resume();
      };
      sink.on("drain", resume);
      sink.on("close", resume);
    }
    h.keep(chunk, now());
  });
  return h;
}

export interface StartedRun {
  agent: AgentProcess;
  /** The repository as it was when the agent started (undefined outside one). */
  git: GitState | undefined;
}

/**
 * What must happen before an agent may start, then the start: the repository's state is read
 * first (the agent may commit), and the log directory made (a log that cannot be written is an
 * error before the agent runs, not after).
 */
export async function startRun(opts: StartOptions & { baseBranch?: string; config: Pick<AwlConfig, "logDir" | "streamFile" | "enabled"> }): Promise<StartedRun> {
  const git = await gitState(opts.cwd, opts.baseBranch);
  if (opts.config.enabled) {
    const paths = logPaths(opts.config.logDir, opts.config.streamFile);
    ensureDir(paths.sessions);
    ensureDir(paths.attemptState);
  }
  return { agent: startAgent(opts), git };
}

/**
 * Stops the agent: `signal` to its process group (or to it alone when it shares awl's group).
 * Does nothing once it has exited.
 */
export function signalAgent(agent: AgentProcess, signal: NodeJS.Signals): void {
  const child = agent.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (agent.detached && child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}
