import { statSync } from "node:fs";
import type { AwlConfig, PromptVia } from "../../config/schema.js";
import type { Alert, AlertRecord, AlertType, AwlEvent, CompletionStatus, PromptType } from "../../schema/index.js";
import { alertRecordSchema } from "../../schema/index.js";
import { follow } from "../../store/follow.js";
import { type LogPaths, logPaths } from "../../store/paths.js";
import { type ActionRecordInput, appendAlertRecords } from "../alerts-log.js";
import { createAnalyzer } from "../analyzer.js";
import { hookOutcome, runAlertHook } from "./hook.js";

/**
 * Interventions on an agent that `awl run` supervises (SPEC §4). The supervisor runs the agent's
 * sessions one after another: an analyzer in this process sees every event of the session as it
 * is written (so it raises a loop alert within milliseconds of the event that completes it),
 * and agent-alerts.jsonl is followed for alerts other processes (`awl watch`) raise for the
 * same attempt. On an alert of a configured type it stops the agent (its process group:
 * SIGTERM, SIGKILL after the grace period) and starts a fresh session of the same command with
 * a recovery prompt; on `error_loop` with an autofix command configured it runs that instead.
 * After `maxPerAttempt` interventions the next alert makes it give up: the agent is stopped and
 * the session ends `failed`. Everything is recorded: `followup_sent` in the stopped session, the
 * retry's `session_start` (`prompt_type: retry`, `followup_reason`, `retry_of`), and the alert
 * with an `action` record (`intervene`, `autofix`, `give_up`) in agent-alerts.jsonl.
 *
 * The supervisor does not import capture (dependency direction): the CLI hands it a function
 * that runs one session (capture/run.ts's runAgent).
 */

export type InterventionConfig = AwlConfig["interventions"];

// ---------------------------------------------------------------- pure parts

export interface TemplateContext {
  /** The original task prompt. */
  prompt?: string;
  /** This intervention's number (1-based) and the limit. */
  n: number;
  max: number;
}

/** Fills the recovery template: `{type}`, `{message}`, `{tool}`, … from the alert; `{{`/`}}` are braces; missing values are empty. */
export function recoveryPrompt(template: string, alert: Alert, ctx: TemplateContext): string {
  const values: Record<string, string> = {
    type: alert.type,
    message: alert.message,
    tool: alert.tool_name ?? "",
    fingerprint: alert.error_fingerprint ?? "",
    category: alert.error_category ?? "",
    occurrences: String(alert.occurrences),
    alert_id: alert.alert_id,
    attempt_id: alert.attempt_id,
    n: String(ctx.n),
    max: String(ctx.max),
    prompt: ctx.prompt ?? "",
  };
  return template
    .replace(/\{\{|\}\}|\{([a-z_]+)\}/g, (m, name: string | undefined) => {
      if (m === "{{") return "{";
      if (m === "}}") return "}";
      return name !== undefined && name in values ? values[name]! : m;
    })
    .trim();
}

/** Where the task prompt sits in the agent's command line: right after -p/--prompt/--print, else its last occurrence. */
export function promptIndex(argv: readonly string[], prompt: string | undefined): number {
  if (prompt === undefined || prompt === "") return -1;
  for (let i = 1; i < argv.length; i++) if (argv[i] === prompt && ["-p", "--prompt", "--print"].includes(argv[i - 1]!)) return i;
  const last = argv.lastIndexOf(prompt);
  return last > 0 ? last : -1;
}

export interface Placement {
  argv: string[];
  /** For `stdin`: what the agent reads. */
  input?: string;
  /** How it was placed (for the record and the status line). */
  how: "replaced" | "appended" | "stdin" | "env";
}

/**
 * How the recovery prompt reaches the restarted agent. `auto`: the argument equal to the task
 * prompt is replaced (`claude -p "<prompt>"`, `codex exec "<prompt>"`), else the prompt is
 * appended as the last argument — but only when awl knows the task prompt: a command without
 * one (`npm test`) is not an agent to hand a prompt to, and gets undefined (no restart).
 * `replace` requires the argument; `append`, `stdin` and `env` do what they say (the
 * prompt is always in AWL_RECOVERY_PROMPT as well).
 */
export function placePrompt(argv: readonly string[], taskPrompt: string | undefined, recovery: string, via: PromptVia): Placement | undefined {
  const idx = promptIndex(argv, taskPrompt);
  switch (via) {
    case "auto":
      if (idx > 0) return { argv: argv.map((a, i) => (i === idx ? recovery : a)), how: "replaced" };
      return taskPrompt ? { argv: [...argv, recovery], how: "appended" } : undefined;
    case "replace":
      return idx > 0 ? { argv: argv.map((a, i) => (i === idx ? recovery : a)), how: "replaced" } : undefined;
    case "append":
      return { argv: [...argv, recovery], how: "appended" };
    case "stdin":
      return { argv: [...argv], input: recovery, how: "stdin" };
    case "env":
      return { argv: [...argv], how: "env" };
  }
}

export type Decision =
  | { kind: "ignore"; why: string }
  | { kind: "restart" }
  | { kind: "autofix"; restart: boolean }
  | { kind: "give_up" };

/** What to do about an alert for the running session, given how many interventions this run made. */
export function decide(alert: Pick<Alert, "type">, cfg: InterventionConfig, done: number): Decision {
  if (!cfg.enabled) return { kind: "ignore", why: "interventions are off" };
  if (!cfg.types.includes(alert.type)) return { kind: "ignore", why: `${alert.type} is not an intervention type` };
  if (done >= cfg.maxPerAttempt) return { kind: "give_up" };
  if (alert.type === "error_loop" && cfg.autofixCommand) return { kind: "autofix", restart: cfg.autofixRestart };
  return { kind: "restart" };
}

/** The attempt id of the n-th retry of `base` (`base-r1`, `base-r2`, …). */
export function retryAttemptId(base: string, n: number): string {
  return `${base}-r${n}`;
}

// ---------------------------------------------------------------- the supervisor

/** What the supervisor needs of a session's recorder (capture's Recorder has it). */
export interface SessionRecorder {
  event(type: "followup_sent", data: { prompt?: string; followup_reason?: string; alert_id?: string; action?: string; [k: string]: unknown }): unknown;
}

export interface SessionRequest {
  attemptId: string;
  argv: string[];
  prompt?: string;
  promptType?: PromptType;
  followupReason?: string;
  retryOf?: string;
  input?: string;
  env: NodeJS.ProcessEnv;
  killGraceMs: number;
  /** Abort with a reason (an alert type) or `{ for, fail }` to stop the agent. */
  stop: AbortSignal;
  onEvents: (events: readonly AwlEvent[]) => void;
  onStart: (recorder: SessionRecorder) => void;
}

export interface SessionOutcome {
  exitCode: number;
  status: CompletionStatus;
  stoppedFor?: string;
}

export interface InterventionRecord {
  n: number;
  alert_id: string;
  type: AlertType;
  attempt_id: string;
  action: "intervene" | "autofix" | "give_up" | "skipped";
  /** The attempt started for it (intervene). */
  next_attempt_id?: string;
  exit_code?: number | null;
  detail?: string;
}

export interface SuperviseOptions {
  config: AwlConfig;
  argv: string[];
  attemptId: string;
  /** The task prompt (--prompt, or what the agent's argv carries). */
  prompt?: string;
  promptType?: PromptType;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  runSession: (req: SessionRequest) => Promise<SessionOutcome>;
  /** Ctrl-C: no further session is started. */
  signal?: AbortSignal;
  now?: () => number;
  /** One line per intervention (the CLI writes it to stderr). */
  log?: (line: string) => void;
  /** Observes each decision (tests, benchmarks). */
  onIntervention?: (r: InterventionRecord) => void;
}

export interface SuperviseResult {
  exitCode: number;
  status: CompletionStatus;
  /** Every session's attempt id, in order. */
  attempts: string[];
  interventions: InterventionRecord[];
  gaveUp: boolean;
}

interface Pending {
  alert: Alert;
  /** The alert line is already in agent-alerts.jsonl (another process raised it). */
  external: boolean;
  /** The same loop again after an autofix that did not end it (the alert's episode is still open). */
  again?: number;
}

/**
 * Runs the agent under supervision until a session ends without an intervention (or one gives
 * up). Returns the final session's exit code; after giving up it is never 0.
 */
export async function superviseRun(opts: SuperviseOptions): Promise<SuperviseResult> {
  const { config } = opts;
  const cfg = config.interventions;
  const now = opts.now ?? Date.now;
  const paths = logPaths(config.logDir, config.streamFile);
  const log = opts.log ?? (() => undefined);
  const analyzer = createAnalyzer({ config: config.analyzer, now });
  const attempts: string[] = [];
  const interventions: InterventionRecord[] = [];
  const handled = new Set<string>();
  let done = 0;
  let gaveUp = false;

  // The session being run now, and what was decided about it.
  interface Restart {
    alert: Alert;
    prompt: string;
    next: string;
  }
  interface Running {
    attemptId: string;
    stop: AbortController;
    recorder?: SessionRecorder;
    /** Stopping it: later alerts of this session are not acted on. */
    acting: boolean;
    ended: boolean;
    autofix?: Promise<void>;
    restartWith?: Restart;
    /** After an autofix: errors of its fingerprint since it finished. */
    watch?: { pending: Pending; fingerprint: string; seen: number; again: number };
  }
  let current: Running | undefined;

  const record = (r: InterventionRecord) => {
    interventions.push(r);
    opts.onIntervention?.(r);
  };

  const writeAlert = (p: Pending, actions: ActionRecordInput[]) => {
    const stamp = new Date(now()).toISOString();
    const lines: AlertRecord[] = [];
    if (!p.external) lines.push({ ...p.alert, timestamp: stamp });
    for (const a of actions) lines.push({ record_type: "action", schema_version: 1, timestamp: stamp, ...a } as AlertRecord);
    try {
      appendAlertRecords(paths, lines);
    } catch (err) {
      log(`cannot write to ${paths.alerts}: ${(err as Error).message}`);
    }
  };

  const act = (p: Pending) => {
    const s = current;
    const { alert } = p;
    const key = p.again ? `${alert.alert_id}#${p.again}` : alert.alert_id;
    if (!s || s.acting || s.ended || alert.attempt_id !== s.attemptId || handled.has(key)) return;
    const d = decide(alert, cfg, done);
    if (d.kind === "ignore") return;
    handled.add(key);
    const what = `${alert.type} (${alert.message})`;

    if (d.kind === "give_up") {
      s.acting = true;
      gaveUp = true;
      const why = `awl gave up after ${done} intervention${done === 1 ? "" : "s"}: ${what}`;
      writeAlert(p, [{ alert_id: alert.alert_id, attempt_id: alert.attempt_id, action: "give_up", status: "ok", detail: `stopped after ${done} of ${cfg.maxPerAttempt} interventions` }]);
      record({ n: done, alert_id: alert.alert_id, type: alert.type, attempt_id: alert.attempt_id, action: "give_up" });
      log(`${what}: ${done} of ${cfg.maxPerAttempt} interventions used, giving up: stopping the agent`);
      s.stop.abort({ for: alert.type, fail: why });
      return;
    }

    const n = done + 1;
    const prompt = recoveryPrompt(cfg.recoveryTemplate, alert, { prompt: opts.prompt, n, max: cfg.maxPerAttempt });
    if (d.kind === "restart" && !placePrompt(opts.argv, opts.prompt, prompt, cfg.promptVia)) {
      const why =
        cfg.promptVia === "replace" ? "the task prompt is not an argument of the command" : "awl does not know the task prompt (pass --prompt, or set interventions.promptVia)";
      writeAlert(p, [{ alert_id: alert.alert_id, attempt_id: alert.attempt_id, action: "intervene", status: "skipped", detail: why }]);
      record({ n: done, alert_id: alert.alert_id, type: alert.type, attempt_id: alert.attempt_id, action: "skipped", detail: why });
      log(`${what}: not restarting: ${why}`);
      return;
    }
    done = n;

    if (d.kind === "autofix") {
      const command = cfg.autofixCommand!;
      s.recorder?.event("followup_sent", { followup_reason: alert.type, alert_id: alert.alert_id, action: "autofix_command", command });
      log(`${what}: running the autofix command ${command[0]} (intervention ${n} of ${cfg.maxPerAttempt})`);
      if (d.restart) s.acting = true;
      writeAlert(p, []);
      const written: Pending = { ...p, external: true };
      s.autofix = runAlertHook({ command, timeoutMs: cfg.autofixTimeoutMs }, { ...alert, timestamp: new Date(now()).toISOString() }, { env: opts.env, cwd: opts.cwd }).then((r) => {
        writeAlert(written, [
          {
            alert_id: alert.alert_id,
            attempt_id: alert.attempt_id,
            action: "autofix",
            detail: command.join(" "),
            ...hookOutcome(r),
          },
        ]);
        record({ n, alert_id: alert.alert_id, type: alert.type, attempt_id: alert.attempt_id, action: "autofix", exit_code: r.exitCode });
        log(`autofix command exited ${r.exitCode ?? r.error}`);
        if (d.restart) restart(s, written, prompt, n);
        // The analyzer's episode stays open while the error repeats, so it raises nothing new:
        // the same number of errors again after the fix counts as the loop again.
        else if (alert.error_fingerprint) s.watch = { pending: written, fingerprint: alert.error_fingerprint, seen: 0, again: (p.again ?? 0) + 1 };
      });
      return;
    }
    s.acting = true;
    restart(s, p, prompt, n);
  };

  function restart(s: Running, p: Pending, prompt: string, n: number) {
    const { alert } = p;
    if (s.ended) {
      // The agent finished while the autofix ran: nothing left to restart.
      log(`${alert.type}: the agent has already exited; no fresh session`);
      return;
    }
    if (!placePrompt(opts.argv, opts.prompt, prompt, cfg.promptVia)) {
      // autofixRestart on a command whose task prompt awl does not know: the autofix stands alone.
      writeAlert(p, [{ alert_id: alert.alert_id, attempt_id: alert.attempt_id, action: "intervene", status: "skipped", detail: "no task prompt to replace" }]);
      log(`${alert.type}: not restarting: awl does not know the task prompt`);
      return;
    }
    const next = retryAttemptId(opts.attemptId, n);
    s.recorder?.event("followup_sent", { prompt, followup_reason: alert.type, alert_id: alert.alert_id, action: "fresh_session", next_attempt_id: next });
    writeAlert(p, [{ alert_id: alert.alert_id, attempt_id: alert.attempt_id, action: "intervene", status: "ok", detail: next }]);
    record({ n, alert_id: alert.alert_id, type: alert.type, attempt_id: alert.attempt_id, action: "intervene", next_attempt_id: next });
    log(`${alert.type} (${alert.message}): stopping the agent and starting a fresh session ${next} (intervention ${n} of ${cfg.maxPerAttempt})`);
    s.restartWith = { alert, prompt, next };
    s.stop.abort(alert.type);
  }

  const onAlerts = (alerts: Alert[], external: boolean) => {
    for (const alert of alerts) {
      // Off the writer's call stack: the decision writes events of its own.
      queueMicrotask(() => act({ alert, external }));
    }
  };

  // Alerts other processes write for this run's attempts.
  const followAbort = new AbortController();
  let follower: Promise<void> | undefined;
  if (cfg.enabled && cfg.followAlerts) follower = followAlerts(paths, config.analyzer.pollIntervalMs, followAbort.signal, (a) => onAlerts([a], true));

  // The stuck detector runs on the wall clock.
  const stuckTimer = cfg.enabled && cfg.types.includes("stuck") ? setInterval(() => onAlerts(analyzer.tick(now()), false), 1000) : undefined;
  stuckTimer?.unref();

  let attemptId = opts.attemptId;
  let argv = opts.argv;
  let prompt = opts.prompt;
  let promptType = opts.promptType;
  let followupReason: string | undefined;
  let retryOf: string | undefined;
  let input: string | undefined;
  let env = opts.env;
  let outcome!: SessionOutcome;
  try {
    for (;;) {
      const stop = new AbortController();
      const s: Running = { attemptId, stop, acting: false, ended: false };
      current = s;
      attempts.push(attemptId);
      outcome = await opts.runSession({
        attemptId,
        argv,
        ...(prompt !== undefined ? { prompt } : {}),
        ...(promptType ? { promptType } : {}),
        ...(followupReason ? { followupReason } : {}),
        ...(retryOf ? { retryOf } : {}),
        ...(input !== undefined ? { input } : {}),
        env,
        killGraceMs: cfg.graceMs,
        stop: stop.signal,
        onStart: (r) => {
          s.recorder = r;
        },
        onEvents: (events) => {
          if (!cfg.enabled) return;
          for (const e of events) {
            const alerts = analyzer.feed(e);
            if (alerts.length) onAlerts(alerts, false);
            const w = s.watch;
            if (w && e.event_type === "error" && e.data.error_fingerprint === w.fingerprint && ++w.seen >= config.analyzer.errorLoopThreshold) {
              s.watch = undefined;
              const again: Pending = { ...w.pending, alert: { ...w.pending.alert, occurrences: w.pending.alert.occurrences + w.seen }, again: w.again };
              queueMicrotask(() => act(again));
            }
          }
        },
      });
      s.ended = true;
      // An autofix still running when its session ended: its record is written before we go on.
      await s.autofix;
      current = undefined;
      const r = s.restartWith;
      if (!r || gaveUp || opts.signal?.aborted) break;
      if (outcome.stoppedFor === undefined && outcome.status === "success") {
        log(`the agent finished successfully before it could be stopped; no fresh session`);
        break;
      }
      const placed = placePrompt(opts.argv, opts.prompt, r.prompt, cfg.promptVia)!;
      retryOf = attemptId;
      attemptId = r.next;
      argv = placed.argv;
      input = placed.input;
      prompt = r.prompt;
      promptType = "retry";
      followupReason = r.alert.type;
      env = { ...opts.env, AWL_RECOVERY_PROMPT: r.prompt, AWL_FOLLOWUP_REASON: r.alert.type, AWL_RETRY_OF: retryOf };
    }
  } finally {
    if (stuckTimer) clearInterval(stuckTimer);
    followAbort.abort();
    await follower;
  }
  const exitCode = gaveUp && outcome.exitCode === 0 ? 1 : outcome.exitCode;
  return { exitCode, status: outcome.status, attempts, interventions, gaveUp };
}

/** Follows agent-alerts.jsonl from its current end, handing over every alert line. */
async function followAlerts(paths: LogPaths, pollMs: number, signal: AbortSignal, onAlert: (a: Alert) => void): Promise<void> {
  let start = 0;
  try {
    start = statSync(paths.alerts).size;
  } catch {
    start = 0;
  }
  try {
    await follow(paths.alerts, {
      start,
      // fs.watch wakes it at once; the poll is the safety net, kept under a second.
      pollMs: Math.min(pollMs, 500),
      signal,
      onLines: (lines) => {
        for (const line of lines) {
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch {
            continue;
          }
          const r = alertRecordSchema.safeParse(value);
          if (r.success && r.data.record_type === "alert") onAlert(r.data);
        }
      },
    });
  } catch {
    // following is the second source: the in-process analyzer still sees this run's events
  }
}
