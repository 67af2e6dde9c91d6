import { Command, Option } from "@commander-js/extra-typings";
import { OUTCOME_STATUSES } from "../../schema/index.js";
import { sessionFile } from "../../store/paths.js";
import { firstEvent } from "../../store/reader.js";
import { commonOptions, configFor, type Io, printJson } from "../context.js";
import { UsageError } from "../errors.js";
import { parseBoolArg, parseIntArg } from "../input.js";

export function outcomeCommand(io: Io) {
  return commonOptions(
    new Command("outcome")
      .description("record what became of an attempt (PR, tests, build): a metrics record that later analytics merge")
      .requiredOption("--attempt-id <id>", "the attempt")
      .addOption(new Option("--status <status>", "the outcome").choices(OUTCOME_STATUSES))
      .option("--pr-created [bool]", "a PR was opened", parseBoolArg("--pr-created"))
      .option("--pr-number <n>", "the PR's number", parseIntArg("--pr-number", 1))
      .option("--pr-merged [bool]", "the PR was merged", parseBoolArg("--pr-merged"))
      .option("--test-passed [bool]", "tests passed", parseBoolArg("--test-passed"))
      .option("--build-passed [bool]", "the build passed", parseBoolArg("--build-passed"))
      .option("--task-id <id>", "default: from the attempt's session file")
      .option("--executor <name>", "default: from the attempt's session file")
      .option("--model <name>", "default: from the attempt's session file")
      .option("--timestamp <iso>", "when it was known (default: now)"),
  )
    .addHelpText(
      "after",
      `
A later record for the same attempt supersedes earlier ones field by field: a field this
command sets replaces the earlier value, fields it leaves out keep theirs.

Examples:
  awl outcome --attempt-id ve-42 --status completed --pr-number 601 --pr-merged
  awl outcome --attempt-id ve-42 --test-passed false --build-passed true`,
    )
    .action(async (opts) => {
      if (opts.attemptId.trim() === "") throw new UsageError("--attempt-id must not be empty");
      const outcome = {
        status: opts.status,
        pr_created: opts.prCreated ?? (opts.prNumber !== undefined ? true : undefined),
        pr_number: opts.prNumber,
        pr_merged: opts.prMerged,
        test_passed: opts.testPassed,
        build_passed: opts.buildPassed,
      };
      if (Object.values(outcome).every((v) => v === undefined)) {
        throw new UsageError("nothing to record: give at least one of --status, --pr-created, --pr-number, --pr-merged, --test-passed, --build-passed");
      }
      const config = configFor(io, opts);
      const { LogWriter } = await import("../../store/writer.js");
      const writer = new LogWriter({ logDir: config.logDir, streamFile: config.streamFile, enabled: config.enabled });
      try {
        // Carry the attempt's identifiers so the record stands on its own in analytics.
        const head = config.enabled ? await firstEvent(sessionFile(writer.paths, opts.attemptId)) : undefined;
        const record = writer.appendMetrics({
          timestamp: opts.timestamp,
          attempt_id: opts.attemptId,
          session_id: head?.session_id,
          task_id: opts.taskId ?? head?.task_id,
          task_title: head?.task_title,
          project_id: head?.project_id,
          executor: opts.executor ?? head?.executor,
          executor_variant: head?.executor_variant,
          model: opts.model ?? head?.model,
          outcome,
          source: "emit",
        });
        if (opts.json) printJson(io, record ?? { written: false, reason: "logging disabled (AGENT_WORK_LOGGING_ENABLED=false)" });
        else if (record) io.stdout.write(`outcome ${record.attempt_id}${head ? "" : " (no session recorded yet for this attempt)"}\n`);
      } finally {
        writer.close();
      }
    });
}
