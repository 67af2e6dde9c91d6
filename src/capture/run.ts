import { existsSync } from "node:fs";
import { constants } from "node:os";
import type { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { AwlConfig } from "../config/index.js";
import type { AwlEvent, CompletionStatus, MetricsRecord, PromptType, Usage } from "../schema/index.js";
import { acceptMetrics, readRecords } from "../store/reader.js";
import { LogWriter } from "../store/writer.js";
import type { Adapter, AgentId, Captured, LineParser, SessionFacts } from "./adapter.js";
import { addUsage } from "./adapter.js";
import { adapterFor, detectLine } from "./detect.js";
import { type AgentExit, type StartedRun, signalAgent, startRun } from "./agent-process.js";
import { gitChanges } from "./git.js";
import { estimateCost } from "../schema/pricing.js";
import { type AttemptInfo, type BatchItem, capturedItem, Recorder } from "./recorder.js";
import { follow } from "../store/follow.js";
import { findSessionFile, readSessionFile } from "./session-files.js";
import { TextParser } from "./text/index.js";

export interface RunOptions {
  /** The agent's command line: the program and its arguments. */
  argv: string[];
  attempt: AttemptInfo;
  config: AwlConfig;
  prompt?: string;
  promptType?: PromptType;
  /** Why this session was started (a retry after an intervention: the alert type). */
  followupReason?: string;
  /** The attempt this session retries (recorded on session_start as `retry_of`). */
  retryOf?: string;
  /** Written to the agent's stdin, which is then closed (else stdin is the terminal or /dev/null). */
  input?: string;
  /** `auto` detects the agent's JSON stream from its first line; anything unrecognised is text. */
  format?: "auto" | AgentId;
  timeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL when awl stops the agent. */
  killGraceMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the agent's output is passed through, byte for byte. */
  stdout?: Writable;
  stderr?: Writable;
  /**
   * Aborting it interrupts the agent: the reason, when it is a signal name (the CLI aborts with
   * the signal it received), is the signal passed on; otherwise SIGINT.
   */
  signal?: AbortSignal;
  /**
   * Aborting it stops the agent for an intervention (SIGTERM to its process group, SIGKILL
   * after the grace period); the session ends `interrupted` with `stopped_for` set to the
   * abort reason (e.g. `tool_loop`). A `StopRequest` as the reason can end it `failed` instead.
   */
  stop?: AbortSignal;
  /** Sees every batch of this session's events as written (an in-process analyzer). */
  onEvents?: (events: readonly AwlEvent[]) => void;
  /** Called once session_start is written, with the session's recorder (to add events such as followup_sent). */
  onStart?: (recorder: Recorder) => void;
  /**
   * The agent already started, with the repository's state read before it (startRun: `awl run`
   * starts the agent before it loads this module); else runAgent starts it.
   */
  started?: StartedRun;
  now?: () => number;
}

/** A `stop` abort reason that says more than a name: why, and whether the session failed. */
export interface StopRequest {
  /** Recorded as `session_end.data.stopped_for` (an alert type). */
  for: string;
  /** When set, the session ends `failed` (not `interrupted`) and this is recorded as an orchestrator error. */
  fail?: string;
}

export interface RunResult {
  exitCode: number;
  status: CompletionStatus;
  metrics: MetricsRecord | undefined;
  agent: AgentId | undefined;
  facts: SessionFacts | undefined;
  /** Why awl stopped the agent for an intervention, when it did. */
  stoppedFor?: string;
}

/** How often, at most, a session's events are written while its output streams in. */
const WRITE_EVERY_MS = 50;

/** The exit code of a command that could not be started (as a shell reports it). */
export const EXIT_NOT_FOUND = 127;

/**
 * Runs an agent under awl: passes its output through unchanged, parses it live with the
 * agent's adapter (or as text), writes events as they happen, and ends the session with its
 * status, totals and a metrics record. Returns the agent's exit code.
 */
export async function runAgent(opts: RunOptions): Promise<RunResult> {
  const now = opts.now ?? Date.now;
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const iso = () => new Date(now()).toISOString();
  const cmd = opts.argv[0];
  if (!cmd) throw new Error("no command to run");
  const stdoutSink = opts.stdout ?? process.stdout;
  const stderrSink = opts.stderr ?? process.stderr;
  const { agent, git } =
    opts.started ??
    (await startRun({
      argv: opts.argv,
      cwd,
      env,
      input: opts.input,
      stdout: stdoutSink,
      stderr: stderrSink,
      interactive: process.stdin.isTTY === true && opts.stdout === undefined,
      baseBranch: opts.attempt.baseBranch,
      config: opts.config,
      now,
    }));

  const info: AttemptInfo = { ...opts.attempt };
  info.branch ??= git?.branch;
  if (git && info.baseBranch && git.ahead !== undefined) Object.assign(info, { commitsAhead: git.ahead, commitsBehind: git.behind });
  const started = agent.startedAt;
  let stoppedFor: string | undefined; // declared before any path reaches finish()
  let recorder: Recorder;
  let history: Promise<number>;
  try {
    const writer = new LogWriter({ logDir: opts.config.logDir, streamFile: opts.config.streamFile, enabled: opts.config.enabled, now });
    recorder = new Recorder({ ...info, writer, source: "run", now, ...(opts.onEvents ? { onWritten: opts.onEvents } : {}) });
    // Read while the agent runs: the attempts of this task that were recorded before this one.
    history = earlierAttempts(opts.config, info);
    history.catch(() => undefined); // awaited (and its error thrown) at the end
    recorder.start(
      {
        prompt: opts.prompt ?? promptFromArgv(opts.argv),
        prompt_type: opts.promptType ?? "initial",
        ...(opts.followupReason ? { followup_reason: opts.followupReason } : {}),
        ...(opts.retryOf ? { retry_of: opts.retryOf } : {}),
        command: opts.argv,
        cwd,
        ...(git?.head ? { git_head: git.head } : {}),
      },
      { timestamp: new Date(started).toISOString() },
    );
    opts.onStart?.(recorder);
  } catch (err) {
    // The agent is running and awl cannot record it: stop it rather than leave it unwatched.
    signalAgent(agent, "SIGTERM");
    throw err;
  }

  // --- parsing -----------------------------------------------------------------------------
  let adapter: Adapter | undefined = opts.format && opts.format !== "auto" ? adapterFor(opts.format) : undefined;
  let outParser: LineParser | undefined = adapter ? adapter.parser(adapter.id === "text" ? "stream" : "stream") : undefined;
  const errParser = new TextParser("stderr");
  // Events found and not yet written, in the order the output came in. Written at most every
  // WRITE_EVERY_MS while output streams in (at once after a quiet spell): a program printing
  // thousands of chunks a second costs a few writes, not one per chunk.
  const queue: BatchItem[] = [];
  // The capture time of the chunk being read: one clock reading a chunk, not one a line.
  let chunkAt = iso();
  const enqueue = (items: readonly Captured[]) => {
    for (const c of items) queue.push(capturedItem(c, chunkAt));
  };
  const found: Captured[] = [];
  const outLines = lineSplitter((block) => {
    let from = 0;
    while (!outParser && from < block.length) {
      const nl = block.indexOf("\n", from);
      const line = block.slice(from, nl);
      from = nl + 1;
      if (line.trim() === "") continue;
      const detected = detectLine(line);
      adapter = detected?.adapter ?? adapterFor("text");
      outParser = detected ? detected.adapter.parser(detected.format) : new TextParser("stdout");
      enqueue(outParser.line(line, chunkAt));
    }
    if (!outParser || from >= block.length) return;
    if (outParser instanceof TextParser) {
      outParser.lines(from === 0 ? block : block.slice(from), chunkAt, found);
      enqueue(found);
      found.length = 0;
      return;
    }
    for (let nl = block.indexOf("\n", from); nl !== -1; nl = block.indexOf("\n", from)) {
      enqueue(outParser.line(block.slice(from, nl), chunkAt));
      from = nl + 1;
    }
  });
  const errLines = lineSplitter((block) => {
    errParser.lines(block, chunkAt, found);
    enqueue(found);
    found.length = 0;
  });
  // Only the stream that spoke last holds unwritten text: the other's is cut into an event
  // when the speaker changes, so the events keep the order of the output.
  let speaking: "out" | "err" | undefined;
  const takeText = () => {
    if (speaking === "out" && outParser instanceof TextParser) enqueue(outParser.flush());
    else if (speaking === "err") enqueue(errParser.flush());
  };
  const heard = (stream: "out" | "err", at: number) => {
    chunkAt = new Date(at).toISOString();
    if (speaking !== stream) takeText();
    speaking = stream;
  };
  // A batch the log refuses (an event nested too deep to serialize, a full disk) becomes an
  // orchestrator error naming how many events it held: thrown, it ended awl in a timer with a
  // stack trace, the passthrough and the rest of the session lost (or hung it, at the end).
  const record = (batch: BatchItem[]) => {
    try {
      recorder.events(batch);
    } catch (err) {
      const message = `awl: ${batch.length} ${batch.length === 1 ? "event" : "events"} of the agent's output could not be recorded: ${(err as Error).message}`;
      try {
        recorder.error(message, { error_source: "orchestrator" });
      } catch {
        stderrSink.write(`${message}\n`);
      }
    }
  };
  let writeTimer: NodeJS.Timeout | undefined;
  let writeSoon: NodeJS.Immediate | undefined;
  let lastWrite = Number.NEGATIVE_INFINITY;
  const writeQueued = () => {
    if (writeTimer) clearTimeout(writeTimer);
    if (writeSoon) clearImmediate(writeSoon);
    writeTimer = writeSoon = undefined;
    lastWrite = performance.now();
    takeText();
    if (queue.length > 0) record(queue.splice(0));
    const sessionId = adapter && adapter.id !== "text" ? outParser?.facts().session_id : undefined;
    if (sessionId && !sessionFollower) sessionFollower = followSessionFile(adapter!, sessionId, env, recorder, iso, followAbort.signal);
  };
  const scheduleWrite = () => {
    if (writeTimer || writeSoon) return;
    const wait = lastWrite + WRITE_EVERY_MS - performance.now();
    if (wait > 0) writeTimer = setTimeout(writeQueued, wait);
    else writeSoon = setImmediate(writeQueued);
  };
  // The agent's own session file, followed live once the stream names the session: what only
  // the file knows (Gemini CLI's failed shell commands) is recorded while the agent still runs.
  let sessionFollower: Promise<void> | undefined;
  const followAbort = new AbortController();

  agent.consume(
    (chunk, at) => {
      heard("out", at);
      outLines.push(chunk);
      scheduleWrite();
    },
    (chunk, at) => {
      heard("err", at);
      errLines.push(chunk);
      scheduleWrite();
    },
  );

  // --- signals and timeout -------------------------------------------------------------------
  let stopReason: "timeout" | "interrupted" | undefined;
  const stop = (signal: NodeJS.Signals) => signalAgent(agent, signal);
  let killTimer: NodeJS.Timeout | undefined;
  const stopGracefully = () => {
    stop("SIGTERM");
    killTimer ??= setTimeout(() => stop("SIGKILL"), opts.killGraceMs ?? 5000);
    killTimer.unref();
  };
  // Counted from the agent's start (which may be a moment before this module was loaded).
  const timeout = opts.timeoutMs
    ? setTimeout(() => {
        stopReason = "timeout";
        writeQueued();
        recorder.error(`awl: the agent ran past its timeout of ${opts.timeoutMs} ms and was stopped`, { error_source: "orchestrator" });
        stopGracefully();
      }, Math.max(0, opts.timeoutMs - (performance.now() - agent.startedMono)))
    : undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    stopReason ??= "interrupted";
    // On a terminal the agent shares awl's process group and got Ctrl-C itself.
    if (agent.detached || signal !== "SIGINT") stop(signal);
    killTimer ??= setTimeout(() => stop("SIGKILL"), opts.killGraceMs ?? 5000);
    killTimer.unref();
  };
  const onAbort = () => {
    const reason = opts.signal?.reason;
    onSignal(typeof reason === "string" && reason.startsWith("SIG") ? (reason as NodeJS.Signals) : "SIGINT");
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener("abort", onAbort, { once: true });
  let failedFor: string | undefined;
  const onStop = () => {
    const reason = opts.stop?.reason as string | StopRequest | undefined;
    if (reason && typeof reason === "object" && typeof reason.for === "string") {
      stoppedFor = reason.for;
      if (reason.fail) {
        failedFor = reason.fail;
        writeQueued();
        recorder.error(reason.fail, { error_source: "orchestrator" });
      }
    } else {
      stoppedFor = String(reason ?? "intervention");
    }
    stopReason ??= "interrupted";
    stopGracefully();
  };
  if (opts.stop?.aborted) onStop();
  else opts.stop?.addEventListener("abort", onStop, { once: true });

  const exit: AgentExit = await agent.exit;
  if (timeout) clearTimeout(timeout);
  if (killTimer) clearTimeout(killTimer);
  opts.signal?.removeEventListener("abort", onAbort);
  opts.stop?.removeEventListener("abort", onStop);

  if (exit.spawnError) return finishSpawnError(exit.spawnError);

  chunkAt = iso();
  outLines.end();
  errLines.end();
  takeText();
  if (outParser) enqueue(outParser.end());
  enqueue(errParser.end());
  writeQueued();

  followAbort.abort();
  await sessionFollower;
  let facts = outParser?.facts();
  // What the stream lacks and the agent's own session file has (exit codes, model names), read
  // whole once the agent is done: the follower may have started late or missed the last lines.
  if (adapter && adapter.id !== "text" && facts?.session_id) {
    const file = findSessionFile(adapter.id, facts.session_id, env);
    if (file) facts = mergeSessionFile(adapter, file, facts, recorder, iso);
  }

  const exitCode = exit.code ?? 128 + signalNumber(exit.signal);
  const status: CompletionStatus = failedFor && stopReason === "interrupted" ? "failed" :
    stopReason ?? (exit.code === 0 && facts?.status !== "failed" ? "success" : exit.signal && !exit.code ? "interrupted" : "failed");
  const metrics = await finish(status, exitCode, exit.signal ?? undefined, facts);
  return { exitCode, status, metrics, agent: adapter?.id, facts, ...(stoppedFor ? { stoppedFor } : {}) };

  // --- helpers that close over the run -------------------------------------------------------
  async function finish(status: CompletionStatus, exitCode: number, signal: string | undefined, facts: SessionFacts | undefined) {
    const ended = now();
    const seen = recorder.totals();
    const usage: Usage | undefined = facts?.total_usage ?? seen.usage;
    const model = facts?.model ?? info.model;
    let cost = facts?.cost_usd;
    let estimated = false;
    if (cost === undefined) {
      cost = estimateCost(model, usage);
      estimated = cost !== undefined;
    }
    const [changes, retries] = await Promise.all([git ? gitChanges(git.root, git.head) : undefined, history]);
    const success = status === "success";
    const record = recorder.end(
      {
        completion_status: status,
        duration_ms: ended - started,
        exit_code: exitCode,
        ...(signal ? { signal } : {}),
        ...(stoppedFor ? { stopped_for: stoppedFor } : {}),
        ...(usage ? { usage, total_tokens: usage.total_tokens } : {}),
        ...(cost !== undefined ? { cost_usd: cost, cost_estimated: estimated } : {}),
        ...(facts?.error ? { error: facts.error } : {}),
      },
      {
        ...(model && model !== info.model ? { model } : {}),
        metrics: {
          ...changes,
          retry_count: retries,
          first_shot_success: success && retries === 0,
        },
      },
    );
    recorder.close();
    return record;
  }

  async function finishSpawnError(err: NodeJS.ErrnoException): Promise<RunResult> {
    const notFound = err.code === "ENOENT";
    const message = notFound ? `command not found: ${cmd}` : `cannot start ${cmd}: ${err.message}`;
    stderrSink.write(`awl: ${message}\n`);
    recorder.error(message, { error_source: "orchestrator" });
    const exitCode = notFound ? EXIT_NOT_FOUND : 126;
    const metrics = await finish("failed", exitCode, undefined, undefined);
    return { exitCode, status: "failed", metrics, agent: undefined, facts: undefined };
  }
}

/** Failures the session file shows for tool calls the stream reported as successful. */
function unreportedFailures(events: Captured[], recorder: Recorder): Captured[] {
  const reported = recorder.failedToolCalls();
  return events.filter(
    (e) => e.event_type === "error" && e.data.tool_call_id !== undefined && recorder.sawToolCall(e.data.tool_call_id) && !reported.has(e.data.tool_call_id),
  );
}

async function followSessionFile(
  adapter: Adapter,
  sessionId: string,
  env: NodeJS.ProcessEnv,
  recorder: Recorder,
  iso: () => string,
  signal: AbortSignal,
): Promise<void> {
  // The agent creates its file a moment after it prints the session id: look until it is there.
  let file = findSessionFile(adapter.id, sessionId, env);
  while (!file && !signal.aborted) {
    await new Promise<void>((resolve) => {
      // Each wait takes its listener off again: left on, they piled up five a second, and past
      // ten Node printed a MaxListenersExceededWarning into the agent's stderr.
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const t = setTimeout(done, 200);
      signal.addEventListener("abort", done, { once: true });
    });
    file = findSessionFile(adapter.id, sessionId, env);
  }
  if (!file || signal.aborted) return;
  const parser = adapter.parser("session");
  try {
    await follow(file, {
      start: 0,
      pollMs: 250,
      signal,
      onLines: (lines) => {
        const found: Captured[] = [];
        for (const line of lines) if (line) found.push(...parser.line(line));
        const extra = unreportedFailures(found, recorder);
        if (extra.length) recorder.events(extra.map((c) => capturedItem(c, iso())));
      },
    });
  } catch {
    // the session file is a bonus: the stream is the record; the merge at exit reads it again
  }
}

/**
 * Adds what only the agent's session file knows: tool results the stream reported as
 * successful that the file shows failed (Gemini CLI prints exit 128 as success) become error
 * events, and facts the stream lacks (Codex prints no model, and no usage on a failed turn).
 */
function mergeSessionFile(adapter: Adapter, file: string, facts: SessionFacts, recorder: Recorder, iso: () => string): SessionFacts {
  const parsed = readSessionFile(adapter, file);
  if (!parsed) return facts;
  const extra = unreportedFailures(parsed.events, recorder);
  if (extra.length) recorder.events(extra.map((c) => capturedItem(c, iso())));
  return {
    ...facts,
    model: facts.model ?? parsed.facts.model,
    total_usage: facts.total_usage ?? parsed.facts.total_usage ?? sumCapturedUsage(parsed.events),
    cost_usd: facts.cost_usd ?? parsed.facts.cost_usd,
    prompt: facts.prompt ?? parsed.facts.prompt,
  };
}

function sumCapturedUsage(events: Captured[]): Usage | undefined {
  let total: Usage | undefined;
  for (const e of events) total = addUsage(total, (e.data as { usage?: Usage }).usage);
  return total;
}

/** How many earlier attempts of the same task the log holds (for retry_count and first_shot_success). */
async function earlierAttempts(config: AwlConfig, info: AttemptInfo): Promise<number> {
  if (!info.taskId) return 0;
  const path = `${config.logDir}/agent-metrics.jsonl`;
  if (!existsSync(path)) return 0;
  const attempts = new Set<string>();
  for await (const batch of readRecords(path, { accept: acceptMetrics })) {
    for (const m of batch) if (m.task_id === info.taskId && m.attempt_id !== info.attemptId) attempts.add(m.attempt_id);
  }
  return attempts.size;
}

/** The prompt as the agents' own command lines carry it: `-p`/`--prompt VALUE`, or codex exec's last argument. */
export function promptFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length - 1; i++) {
    if (argv[i] === "-p" || argv[i] === "--prompt" || argv[i] === "--print") {
      const v = argv[i + 1]!;
      if (!v.startsWith("-")) return v;
    }
  }
  const exec = argv.indexOf("exec");
  if (exec !== -1 && /(^|\/)codex$/.test(argv[0] ?? "")) {
    const last = argv[argv.length - 1];
    if (last && !last.startsWith("-") && argv.length - 1 > exec) return last;
  }
  return undefined;
}

/**
 * Splits a byte stream into blocks of whole lines (each ending in "\n"), decoding UTF-8 across
 * chunk boundaries (invalid bytes become U+FFFD); `end()` hands over an unfinished last line
 * as a whole one. A long line arriving in many chunks is gathered in pieces, not re-copied.
 */
function lineSplitter(onLines: (block: string) => void) {
  const decoder = new StringDecoder("utf8");
  let carry: string[] = [];
  return {
    push(chunk: Buffer) {
      const text = decoder.write(chunk);
      const last = text.lastIndexOf("\n");
      if (last === -1) {
        if (text) carry.push(text);
        return;
      }
      const head = last + 1 === text.length ? text : text.slice(0, last + 1);
      const block = carry.length > 0 ? carry.join("") + head : head;
      carry = last + 1 === text.length ? [] : [text.slice(last + 1)];
      onLines(block);
    },
    end() {
      const rest = carry.join("") + decoder.end();
      carry = [];
      if (rest) onLines(`${rest}\n`);
    },
  };
}

/** A shell reports a process killed by signal N as exit code 128 + N. */
function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}
