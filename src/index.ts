/**
 * The library API of awl: the same capabilities as the `awl` command.
 *
 *   import { createRecorder } from "agent-work-log";
 *   const rec = createRecorder({ attemptId: "ve-42", executor: "CODEX", taskTitle: "Add auth" });
 *   rec.start({ prompt: "…", prompt_type: "initial" });
 *   rec.event("tool_call", { tool_name: "Bash", tool_params: { command: "npm test" } });
 *   rec.end({ completion_status: "success" });
 *   rec.close();
 */
export { type AttemptInfo, createRecorder, type EventExtra, Recorder, type RecorderOptions } from "./capture/recorder.js";
export { type AwlConfig, ConfigError, ENV_VARS, loadConfig } from "./config/index.js";
export { fingerprint } from "./errors/index.js";
export { type AlertFilter, appendAlertRecords, readAlertRecords } from "./monitor/alerts-log.js";
export { type Analyzer, type AnalyzerOptions, type AnalyzerSnapshot, createAnalyzer } from "./monitor/analyzer.js";
export { type WatchOptions, type WatchSummary, watch } from "./monitor/watch.js";
export * from "./schema/index.js";
export { type LogPaths, attemptFileName, logPaths, sessionFile } from "./store/paths.js";
export { acceptEvent, acceptMetrics, describeSkips, forEachEvent, type ReadStats, readRecords } from "./store/reader.js";
export { SessionIndex, type SessionSummary } from "./store/sessions.js";
export { LogWriter, type WriterOptions } from "./store/writer.js";
export { applyRetention, type RetentionReport } from "./store/retention.js";
export { type HistoryFile, historyFiles, type RotateOptions, type RotationReport, rotateLogs } from "./store/rotate.js";
export { type ActionRecordInput, appendActionRecords } from "./monitor/alerts-log.js";
export { type HookConfig, type HookResult, hookEnv, runAlertHook } from "./monitor/actions/hook.js";
export { type PipelineEvent, type PipelineOptions, type PipelineStats, runActionPipeline } from "./monitor/actions/pipeline.js";
export { type InterventionRecord, placePrompt, recoveryPrompt, type SessionOutcome, type SessionRequest, type SuperviseOptions, type SuperviseResult, superviseRun } from "./monitor/actions/intervene.js";
export { formatAlertHtml, formatAlertText, splitMessage } from "./monitor/notify/format.js";
export { routeAlert } from "./monitor/notify/route.js";
export { sendTelegramMessage, type TelegramTarget } from "./monitor/notify/telegram.js";
export { sendWebhook, signBody, type WebhookTarget } from "./monitor/notify/webhook.js";
export { dueAt, nextWeeklySlot, previousWeeklySlot, runScheduler, type SchedulerOptions } from "./monitor/schedule.js";
export { type BroadcastResult, broadcast, configuredChannels, NoChannelError, type TextMessage } from "./monitor/notify/broadcast.js";
export { type CheckResult, checkConfig } from "./monitor/check.js";
export { MonitorError, type MonitorOptions, type MonitorStatus, runMonitor, weeklyReportJob } from "./monitor/service.js";

export type {
  Analytics,
  AnalyticsConfig,
  BacklogRow,
  ErrorCluster,
  ExecutorRow,
  Filters,
  KpisResult,
  Meta,
  OpenOptions,
  PlanningResult,
  PromptsResult,
  Rate,
  SqlResult,
  TimeseriesRow,
} from "./analytics/index.js";
export type { WeeklyReport } from "./report/index.js";

/**
 * Opens a log directory's whole history (live files and archives) for analytics in DuckDB:
 * `const a = await analyze({ logDir }); await a.executors({ days: 30 }); a.close()`.
 * DuckDB loads only when this is called, so recording stays light.
 */
export async function analyze(
  config: import("./analytics/index.js").AnalyticsConfig,
  opts?: import("./analytics/index.js").OpenOptions,
): Promise<import("./analytics/index.js").Analytics> {
  const { openAnalytics } = await import("./analytics/index.js");
  return openAnalytics(config, opts);
}
export { type AnalyticsQuery, type AnalyticsSource, type AppOptions, type AwlApp, createApp, type RunningServer, type ServerOptions, startServer } from "./server/index.js";
