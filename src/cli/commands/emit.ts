import { Command } from "@commander-js/extra-typings";
import { EVENT_TYPES, type EventType } from "../../schema/index.js";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { UsageError } from "../errors.js";
import { parseField, readJsonArg } from "../input.js";

export function emitCommand(io: Io) {
  return commonOptions(
    new Command("emit")
      .description("append one event to the log (for orchestrators in any language)")
      .argument("<event_type>", `one of: ${EVENT_TYPES.join(", ")}`)
      .requiredOption("--attempt-id <id>", "the attempt this event belongs to (any string)")
      .option("--session-id <id>")
      .option("--task-id <id>")
      .option("--task-title <text>")
      .option("--task-description <text>")
      .option("--project-id <id>")
      .option("--executor <name>", "e.g. CODEX, CLAUDE, GEMINI")
      .option("--executor-variant <name>")
      .option("--model <name>")
      .option("--branch <name>")
      .option("--base-branch <name>")
      .option("--timestamp <iso>", "when it happened (default: now)")
      .option("--tag <tag>", "a tag (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
      .option("--notes <text>", "manual notes")
      .option("--data <json>", "the event's data: JSON, @file, or - for stdin")
      .option("--field <key=value>", "one data field (repeatable; the value is JSON if it parses)", (v: string, prev?: Record<string, unknown>) =>
        parseField(v, prev),
      ),
  )
    .addHelpText(
      "after",
      `
Examples:
  awl emit session_start --attempt-id ve-42 --task-title "Add auth" --executor CODEX --field prompt_type=initial
  awl emit tool_call --attempt-id ve-42 --data '{"tool_name":"Bash","tool_params":{"command":"npm test"}}'
  awl emit error --attempt-id ve-42 --field error_message="fatal: not a git repository"
  awl emit session_end --attempt-id ve-42 --field completion_status=success`,
    )
    .action(async (eventType, opts) => {
      if (!(EVENT_TYPES as readonly string[]).includes(eventType)) {
        throw new UsageError(`unknown event type ${JSON.stringify(eventType)}: expected one of ${EVENT_TYPES.join(", ")}`);
      }
      if (opts.attemptId.trim() === "") throw new UsageError("--attempt-id must not be empty");
      let data: Record<string, unknown> = {};
      if (opts.data !== undefined) {
        const value = await readJsonArg("--data", opts.data, io.cwd, io.stdin);
        if (!value || typeof value !== "object" || Array.isArray(value)) throw new UsageError("--data: expected a JSON object");
        data = value as Record<string, unknown>;
      }
      data = { ...data, ...opts.field };
      const config = configFor(io, opts);
      // Loaded here, not at start: every command pays for what it uses (an orchestrator may call emit per event).
      const [{ LogWriter }, { withFingerprint }] = await Promise.all([import("../../store/writer.js"), import("../../capture/recorder.js")]);
      const writer = new LogWriter({ logDir: config.logDir, streamFile: config.streamFile, enabled: config.enabled });
      try {
        // An orchestrator's emit carries whatever metadata it was given, on any event type.
        const [event] = writer.append({
          attempt_id: opts.attemptId,
          session_id: opts.sessionId,
          task_id: opts.taskId,
          task_title: opts.taskTitle,
          task_description: opts.taskDescription,
          project_id: opts.projectId,
          executor: opts.executor,
          executor_variant: opts.executorVariant,
          model: opts.model,
          branch: opts.branch,
          base_branch: opts.baseBranch,
          timestamp: opts.timestamp,
          tags: opts.tag,
          manual_notes: opts.notes,
          source: "emit",
          event_type: eventType as EventType,
          data: (eventType === "error" && typeof data.error_message === "string" ? withFingerprint(data as never) : data) as never,
        });
        if (opts.json) printJson(io, event ?? { written: false, reason: "logging disabled (AGENT_WORK_LOGGING_ENABLED=false)" });
        else if (event) io.stdout.write(`${event.event_type} ${event.attempt_id}#${event.sequence_num}\n`);
      } finally {
        writer.close();
      }
    });
}
