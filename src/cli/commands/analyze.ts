import { Command, Option } from "@commander-js/extra-typings";
import type { Analytics, Filters, FilterText } from "../../analytics/index.js";
import type { Section } from "../../analytics/render.js";
import { commonOptions, configFor, type Io } from "../context.js";
import { UsageError } from "../errors.js";
import { parseIntArg } from "../input.js";
import { type Format, formatOf, formatOption, printAnalytics } from "./analytics-output.js";

interface FilterFlags extends FilterText {
  format?: Format;
  json?: boolean;
  logDir?: string;
  config?: string;
}

function sub(name: string, description: string) {
  return commonOptions(
    new Command(name)
      .description(description)
      .option("--days <n>", "only the last n days", parseIntArg("--days", 1))
      .option("--since <date>", "from this date or ISO time (UTC, inclusive)")
      .option("--until <date>", "up to this date or ISO time (UTC, exclusive)")
      .option("--executor <name>", "only this executor")
      .option("--model <name>", "only this model")
      .option("--project <id>", "only this project")
      .addOption(formatOption()),
  );
}

function filters(o: FilterFlags): Filters {
  return { days: o.days, since: o.since, until: o.until, executor: o.executor, model: o.model, project: o.project };
}

/** Opens the history, answers, prints, closes: the DuckDB modules load only for these commands. */
async function answer<T extends { meta: { skipped: { events: number; metrics: number; alerts: number } } }>(
  io: Io,
  o: FilterFlags,
  ask: (a: Analytics) => Promise<T>,
  sections: (r: T) => Section[],
): Promise<void> {
  const config = configFor(io, o);
  const { openAnalytics, AnalyticsInputError } = await import("../../analytics/index.js");
  const a = await openAnalytics(config, { reuseSessions: false });
  try {
    const r = await ask(a).catch((err: unknown) => {
      throw err instanceof AnalyticsInputError ? new UsageError(err.message) : err;
    });
    printAnalytics(io, formatOf(o), r, sections(r));
  } finally {
    a.close();
  }
}

const S = () => import("../../analytics/sections.js");

export function analyzeCommand(io: Io) {
  const cmd = new Command("analyze").description("analytics over the whole history (live logs and archives) with DuckDB").addHelpText(
    "after",
    `
Rates print as "% (k/n, 95% interval)": k successes of n finished sessions, and the Wilson
interval, so a difference between two executors is real only where their intervals part.

Examples:
  awl analyze errors --days 30 --by executor
  awl analyze executors claude-code codex --format md
  awl analyze timeseries --bucket week --format csv`,
  );
  cmd.addCommand(
    sub("errors", "error clusters by fingerprint: count, tasks, attempts, categories, executors, first/last seen, a sample")
      .addOption(new Option("--by <dimension>", "cross-tab the clusters by this").choices(["executor", "model", "category"] as const))
      .option("--limit <n>", "show at most n clusters", parseIntArg("--limit", 1), 50)
      .action(async (o) => {
        const { errorsSections } = await S();
        await answer(io, o, (a) => a.errors({ ...filters(o), by: o.by, limit: o.limit }), errorsSections);
      }),
  );
  cmd.addCommand(
    sub("executors", "compare executors: success and first-shot rates with 95% intervals, duration, cost, tokens, errors")
      .argument("[executors...]", "only these executors")
      .action(async (names, o) => {
        const { executorsSections } = await S();
        const f = filters(o);
        const only = names.length ? [...names, ...(o.executor ? [o.executor] : [])] : o.executor;
        await answer(io, o, (a) => a.executors({ ...f, executor: only }), executorsSections);
      }),
  );
  cmd.addCommand(
    sub("backlog", "tasks by attempts: success, first-shot, duration, cost, executors tried, top fingerprints")
      .option("--limit <n>", "show at most n tasks", parseIntArg("--limit", 1), 20)
      .action(async (o) => {
        const { backlogSections } = await S();
        await answer(io, o, (a) => a.backlog({ ...filters(o), limit: o.limit }), backlogSections);
      }),
  );
  cmd.addCommand(
    sub("planning", "failed or struggling tasks, their root-cause categories and the planning advice that follows")
      .option("--failed-only", "only tasks that never succeeded")
      .option("--limit <n>", "show at most n tasks", parseIntArg("--limit", 1), 50)
      .action(async (o) => {
        const { planningSections } = await S();
        await answer(io, o, (a) => a.planning({ ...filters(o), failedOnly: o.failedOnly, limit: o.limit }), planningSections);
      }),
  );
  cmd.addCommand(
    sub("timeseries", "sessions, success rate, tokens, cost, errors, p50/p90 duration and alerts per time bucket")
      .addOption(new Option("--bucket <size>", "bucket size").choices(["hour", "day", "week"] as const).default("day" as const))
      .action(async (o) => {
        const { timeseriesSections } = await S();
        await answer(io, o, (a) => a.timeseries({ ...filters(o), bucket: o.bucket }), timeseriesSections);
      }),
  );
  cmd.addCommand(
    sub("prompts", "prompt effectiveness: outcome by prompt type and follow-up reason, and how often follow-ups and retries recovered").action(
      async (o) => {
        const { promptsSections } = await S();
        await answer(io, o, (a) => a.prompts(filters(o)), promptsSections);
      },
    ),
  );
  cmd.addCommand(
    sub("kpis", "per week: error-detection latency, intervention success, analysis coverage, tokens and cost after the first loop alert").action(
      async (o) => {
        const { kpisSections } = await S();
        await answer(io, o, (a) => a.kpis(filters(o)), kpisSections);
      },
    ),
  );
  return cmd;
}
