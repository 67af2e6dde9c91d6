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
