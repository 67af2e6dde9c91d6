import { randomBytes } from "node:crypto";
import { basename } from "node:path";
import { Command, Option } from "@commander-js/extra-typings";
import type { Writable } from "node:stream";
import { AGENT_IDS } from "../../capture/agent-ids.js";
import { type StartedRun, signalAgent, startRun } from "../../capture/agent-process.js";
import type { RunResult } from "../../capture/run.js";
import { PROMPT_TYPES } from "../../schema/vocabulary.js";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { UsageError } from "../errors.js";
import { parseIntArg } from "../input.js";

export function runCommand(io: Io, setExitCode: (code: number) => void) {
  return commonOptions(
    new Command("run")
      .description("run an agent, pass its output through unchanged, and record everything it does")
      .argument("<command...>", "the agent's command line (after --)")
      .option("--attempt-id <id>", "the attempt (default: a new id from the command and the time)")
      .option("--session-id <id>")
      .option("--task-id <id>")
      .option("--task-title <text>")
      .option("--task-description <text>")
      .option("--project-id <id>")
      .option("--executor <name>", "default: from the command (CLAUDE, CODEX, GEMINI, or its name)")
      .option("--executor-variant <name>")
      .option("--model <name>")
      .option("--base-branch <name>", "to record commits ahead/behind")
      .option("--prompt <text>", "the task prompt (default: taken from -p/--prompt or codex exec's argument)")
      .addOption(new Option("--prompt-type <type>").choices(PROMPT_TYPES).default("initial" as const))
      .addOption(new Option("--format <format>", "how to read the agent's output").choices(["auto", ...AGENT_IDS] as const).default("auto" as const))
      .option("--timeout <duration>", "stop the agent after this long (e.g. 90s, 30m, 2h)", parseDuration)
      .option("--no-intervene", "only record: never stop a looping agent or start a fresh session")
      .option("--max-interventions <n>", "interventions before awl gives up and marks the session failed", parseIntArg("--max-interventions", 0))
      .passThroughOptions(),
  )
    .addHelpText(
      "after",
      `
The agent's stdout and stderr reach your terminal byte for byte; awl exits with the agent's
exit code (127 when the command does not exist). Ctrl-C reaches the agent and still records
session_end (interrupted).

Interventions (on unless --no-intervene or interventions.enabled is false): on a tool_loop alert
for this run (or another type in interventions.types), awl stops the agent (SIGTERM to its process group, SIGKILL after
interventions.graceMs) and starts a fresh session of the same command (attempt <id>-r1, -r2, …)
with a recovery prompt in place of the task prompt; on error_loop it runs
interventions.autofixCommand instead when one is configured. After --max-interventions (default 2)
it gives up: the agent is stopped, the session ends failed, and awl exits non-zero.

Examples:
  awl run --task-id t-42 -- claude -p "Fix the failing test" --output-format stream-json --verbose
  awl run --executor CODEX --timeout 30m -- codex exec --json "Add input validation"
  awl run -- npm test`,
    )
    .action(async (command, opts) => {
      const config = configFor(io, opts);
      if (opts.intervene === false) config.interventions.enabled = false;
      if (opts.maxInterventions !== undefined) config.interventions.maxPerAttempt = opts.maxInterventions;
      const attemptId = opts.attemptId ?? newAttemptId(command[0]!);
      if (attemptId.trim() === "") throw new UsageError("--attempt-id must not be empty");
      const stdout = io.stdout as NodeJS.WritableStream as Writable;
      const stderr = io.stderr as NodeJS.WritableStream as Writable;
      // The agent starts now and works while awl loads its parsers, writer and monitor (most of
      // awl's start-up); its output is passed through meanwhile and recorded once they are
      // loaded. Not interactive: runAgent is always given the CLI's own streams.
      let early: StartedRun | undefined = await startRun({
        argv: command,
        cwd: io.cwd,
        env: io.env,
        stdout,
        stderr,
        interactive: false,
        baseBranch: opts.baseBranch,
        config,
      });
      try {
        const [{ runAgent, promptFromArgv }, { superviseRun }] = await Promise.all([import("../../capture/run.js"), import("../../monitor/actions/intervene.js")]);
        const attempt = {
          sessionId: opts.sessionId,
          taskId: opts.taskId,
          taskTitle: opts.taskTitle,
          taskDescription: opts.taskDescription,
          projectId: opts.projectId,
          executor: opts.executor ?? executorOf(command[0]!),
          executorVariant: opts.executorVariant,
          model: opts.model,
          baseBranch: opts.baseBranch,
        };
        let last: RunResult | undefined;
        const result = await superviseRun({
          config,
          argv: command,
          attemptId,
          prompt: opts.prompt ?? promptFromArgv(command),
          promptType: opts.promptType,
          env: io.env,
          cwd: io.cwd,
          signal: io.signal,
          log: (line) => stderr.write(`awl: ${line}\n`),
          runSession: async (req) => {
            // The first session is the agent started above; a retry starts its own.
            const started = early;
            early = undefined;
            last = await runAgent({
              argv: req.argv,
              config,
              cwd: io.cwd,
              env: req.env,
              stdout,
              stderr,
              signal: io.signal,
              // The first session's prompt is what the user gave (or none: runAgent reads it from the argv).
              prompt: req.promptType === "retry" ? req.prompt : opts.prompt,
              promptType: req.promptType,
              followupReason: req.followupReason,
              retryOf: req.retryOf,
              input: req.input,
              format: opts.format,
              timeoutMs: opts.timeout,
              killGraceMs: req.killGraceMs,
              stop: req.stop,
              onEvents: req.onEvents,
              onStart: req.onStart,
              attempt: { ...attempt, attemptId: req.attemptId },
              ...(started ? { started } : {}),
            });
            return last;
          },
        });
        if (opts.json)
          printJson(io, {
            attempt_id: result.attempts[result.attempts.length - 1],
            attempts: result.attempts,
            exit_code: result.exitCode,
            status: result.status,
            agent: last?.agent,
            metrics: last?.metrics,
            interventions: result.interventions,
            gave_up: result.gaveUp,
          });
        setExitCode(result.exitCode);
      } finally {
        // Never handed to a session (awl failed before the first one): not left running unwatched.
        if (early) signalAgent(early.agent, "SIGTERM");
      }
    });
}

const KNOWN: Record<string, string> = { claude: "CLAUDE", codex: "CODEX", gemini: "GEMINI", copilot: "COPILOT" };

function executorOf(cmd: string): string {
  const name = basename(cmd).replace(/\.(?:js|cjs|mjs|exe|cmd)$/, "");
  return KNOWN[name] ?? name;
}

function newAttemptId(cmd: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return `${basename(cmd).replace(/[^A-Za-z0-9_-]/g, "")}-${stamp}-${randomBytes(3).toString("hex")}`;
}

/** `90s`, `30m`, `2h`, `1500ms`, or a plain number of seconds. */
export function parseDuration(value: string): number {
  const m = value.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/);
  if (!m) throw new UsageError(`--timeout ${JSON.stringify(value)}: expected a duration like 90s, 30m or 2h`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const ms = unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n * 3_600_000;
  if (ms <= 0) throw new UsageError(`--timeout ${JSON.stringify(value)}: must be more than zero`);
  // Node's timers hold at most 2^31-1 ms; a longer one fires after 1 ms, stopping the agent at once.
  if (ms > MAX_TIMER_MS) throw new UsageError(`--timeout ${JSON.stringify(value)}: at most 596h (24.8 days)`);
  return Math.round(ms);
}

const MAX_TIMER_MS = 2 ** 31 - 1;
