import { type AwlConfig, loadConfig } from "../config/index.js";
import type { Captured } from "./adapter.js";
import { fingerprint } from "../errors/index.js";
import type {
  AwlEvent,
  CompletionStatus,
  DataOf,
  ErrorCategory,
  EventInput,
  EventType,
  MetricsRecord,
  MetricsRecordInput,
  Source,
  Usage,
} from "../schema/index.js";
import { LogWriter } from "../store/writer.js";

/** Who and what an attempt is: carried by the recorder onto its events. */
export interface AttemptInfo {
  attemptId: string;
  sessionId?: string;
  taskId?: string;
  taskTitle?: string;
  taskDescription?: string;
  projectId?: string;
  executor?: string;
  executorVariant?: string;
  model?: string;
  branch?: string;
  baseBranch?: string;
  commitsAhead?: number;
  commitsBehind?: number;
  tags?: string[];
}

export interface RecorderOptions extends AttemptInfo {
  /** Log directory; default from the configuration (flags > env > .env > config file > defaults). */
  logDir?: string;
  config?: AwlConfig;
  /** A writer to share (several recorders in one process); the recorder then does not close it. */
  writer?: LogWriter;
  source?: Source;
  now?: () => number;
  /** Sees every batch as written (an in-process analyzer watching its own session). */
  onWritten?: (events: readonly AwlEvent[]) => void;
}

/** Extra envelope fields for one event (e.g. the agent's own timestamp). */
export interface EventExtra {
  timestamp?: string;
  tags?: string[];
  manual_notes?: string;
  /** The model behind this event, where it differs from the attempt's (an agent's sub-agent, a router). */
  model?: string;
}

/** One event of a batch for `Recorder.events`. */
export type BatchItem = { [T in EventType]: { event_type: T; data: Data<T> } & EventExtra }[EventType];

/**
 * An adapter's event as a batch item: the source record's id kept in `data.record_id` (how
 * imports and merges recognise what is already recorded), and `fallbackAt` as its time where
 * the agent gave none.
 */
export function capturedItem(c: Captured, fallbackAt: string, recordId: string | undefined = c.key): BatchItem {
  const { key: _k, presence: _p, timestamp, model, ...rest } = c;
  const data = recordId ? { ...rest.data, record_id: recordId } : rest.data;
  return { ...rest, data, timestamp: timestamp ?? fallbackAt, ...(model ? { model } : {}) } as BatchItem;
}

type Data<T extends EventType> = DataOf<T>;

/**
 * Records one attempt: the library face of the writer. It stamps every event with the
 * attempt's identifiers (task metadata and git context on `session_start` and
 * `session_end` only, as SPEC §2 has it), gives `error` events their fingerprint and
 * category when the producer did not, keeps the session's totals, and on `end()` writes
 * `session_end` and a metrics record.
 */
export class Recorder {
  readonly info: AttemptInfo;
  readonly writer: LogWriter;
  private readonly ownsWriter: boolean;
  private readonly source: Source;
  private readonly now: () => number;
  private readonly onWritten: ((events: readonly AwlEvent[]) => void) | undefined;
  private startedMs: number | undefined;
  private toolCalls = 0;
  private errors = 0;
  private readonly fingerprints = new Map<string, number>();
  private readonly categories = new Set<ErrorCategory>();
  private readonly usage = { input: 0, output: 0, cache_read: 0, cache_creation: 0, reasoning: 0 };
  private sawUsage = false;
  private readonly toolCallIds = new Set<string>();
  private readonly failedCalls = new Set<string>();

  constructor(opts: RecorderOptions) {
    if (!opts.attemptId) throw new Error("attemptId is required");
    const { logDir, config: givenConfig, writer, source, now, onWritten, ...info } = opts;
    this.info = info;
    this.onWritten = onWritten;
    this.now = now ?? Date.now;
    this.source = source ?? "api";
    if (writer) {
      this.writer = writer;
      this.ownsWriter = false;
    } else {
      const config = givenConfig ?? loadConfig({ flags: { logDir } });
      this.writer = new LogWriter({ logDir: logDir ?? config.logDir, streamFile: config.streamFile, enabled: config.enabled, now: this.now });
      this.ownsWriter = true;
    }
  }

  start(data: Data<"session_start"> = {}, extra: EventExtra = {}): AwlEvent | undefined {
    return this.event("session_start", data, extra);
  }

  /** Records any event type; returns the event as written (undefined when logging is disabled). */
  event<T extends EventType>(type: T, data: Data<T>, extra: EventExtra = {}): AwlEvent | undefined {
    return this.events([{ ...extra, event_type: type, data } as BatchItem])[0];
  }

  /** Records several events with one write per file (what an adapter found in one chunk of output). */
  events(items: readonly BatchItem[]): AwlEvent[] {
    if (items.length === 0) return [];
    const inputs: EventInput[] = [];
    for (const item of items) {
      const { event_type: type, data, model, ...extra } = item;
      const withMeta = type === "session_start" || type === "session_end";
      const payload = type === "error" ? withFingerprint(data as Data<"error">) : data;
      inputs.push({
        ...this.envelope(withMeta),
        ...(model ? { model } : {}),
        ...extra,
        tags: extra.tags ?? this.info.tags,
        event_type: type,
        data: payload,
      } as EventInput);
    }
    const written = this.writer.append(inputs);
    // Counted only once written: a batch that fails validation leaves the totals as they were.
    for (const input of inputs) this.observe(input.event_type, input.data, input.timestamp ?? undefined);
    if (this.onWritten && written.length > 0) this.onWritten(written);
    return written;
  }

  error(message: string, data: Partial<Data<"error">> = {}, extra: EventExtra = {}): AwlEvent | undefined {
    return this.event("error", { ...data, error_message: message }, extra);
  }

  /**
   * Ends the session: writes `session_end` (the totals the recorder saw, unless given) and
   * a metrics record for the attempt. Returns the metrics record.
   */
  end(
    data: Partial<Data<"session_end">> & { completion_status: CompletionStatus },
    extra: EventExtra & { metrics?: MetricsRecordInput["metrics"] } = {},
  ): MetricsRecord | undefined {
    const endMs = extra.timestamp ? Date.parse(extra.timestamp) : this.now();
    const duration = data.duration_ms ?? (this.startedMs !== undefined ? Math.max(0, Math.round(endMs - this.startedMs)) : undefined);
    const usage = this.sawUsage ? { ...this.usage, total_tokens: sumUsage(this.usage) } : undefined;
    const endData: Data<"session_end"> = {
      duration_ms: duration,
      tool_calls: this.toolCalls,
      errors: this.errors,
      ...(usage ? { usage, total_tokens: usage.total_tokens } : {}),
      ...data,
    };
    const { metrics: extraMetrics, ...envelopeExtra } = extra;
    this.event("session_end", endData, envelopeExtra);
    const fps = [...this.fingerprints.entries()].sort((a, b) => b[1] - a[1]).map(([f]) => f);
    return this.writer.appendMetrics({
      ...this.identifiers(),
      task_title: this.info.taskTitle,
      project_id: this.info.projectId,
      timestamp: new Date(endMs).toISOString(),
      source: this.source,
      metrics: {
        duration_ms: endData.duration_ms,
        total_tokens: endData.total_tokens,
        usage: endData.usage,
        cost_usd: endData.cost_usd,
        cost_estimated: endData.cost_estimated,
        tool_calls: endData.tool_calls,
        errors: endData.errors,
        success: data.completion_status === "success",
        completion_status: data.completion_status,
        ...extraMetrics,
      },
      error_summary: { total_errors: this.errors, error_categories: [...this.categories], error_fingerprints: fps },
    });
  }

  /** Appends a metrics record for this attempt (e.g. a later outcome); see mergeMetricsRecords. */
  metrics(record: Omit<MetricsRecordInput, "attempt_id" | "timestamp"> & { timestamp?: string }): MetricsRecord | undefined {
    return this.writer.appendMetrics({
      ...this.identifiers(),
      source: this.source,
      ...record,
      timestamp: record.timestamp ?? new Date(this.now()).toISOString(),
    });
  }

  /** What the recorder has counted so far (usage summed over the events that carried it). */
  totals(): { usage: Usage | undefined; toolCalls: number; errors: number } {
    return {
      usage: this.sawUsage ? { ...this.usage, total_tokens: sumUsage(this.usage) } : undefined,
      toolCalls: this.toolCalls,
      errors: this.errors,
    };
  }

  sawToolCall(id: string): boolean {
    return this.toolCallIds.has(id);
  }

  /** Tool calls already recorded as failed (by a failed result or an error naming them). */
  failedToolCalls(): ReadonlySet<string> {
    return this.failedCalls;
  }

  close(): void {
    if (this.ownsWriter) this.writer.close();
    else this.writer.releaseLocks();
  }

  private identifiers() {
    const i = this.info;
    return {
      attempt_id: i.attemptId,
      session_id: i.sessionId,
      task_id: i.taskId,
      executor: i.executor,
      executor_variant: i.executorVariant,
      model: i.model,
    };
  }

  private envelope(withMeta: boolean) {
    const i = this.info;
    return {
      ...this.identifiers(),
      source: this.source,
      ...(withMeta
        ? {
            task_title: i.taskTitle,
            task_description: i.taskDescription,
            project_id: i.projectId,
            branch: i.branch,
            base_branch: i.baseBranch,
            commits_ahead: i.commitsAhead,
            commits_behind: i.commitsBehind,
          }
        : {}),
    };
  }

  private observe(type: EventType, data: unknown, timestamp: string | undefined): void {
    if (type === "session_start" && this.startedMs === undefined) this.startedMs = timestamp ? Date.parse(timestamp) : this.now();
    if (type === "tool_call") {
      this.toolCalls++;
      const id = (data as Data<"tool_call">).tool_call_id;
      if (id) this.toolCallIds.add(id);
    }
    if (type === "tool_result" && (data as Data<"tool_result">).result === "error") {
      const id = (data as Data<"tool_result">).tool_call_id;
      if (id) this.failedCalls.add(id);
    }
    if (type === "error") {
      const id = (data as Data<"error">).tool_call_id;
      if (id) this.failedCalls.add(id);
    }
    if (type === "error") {
      const d = data as Data<"error">;
      this.errors++;
      if (d.error_fingerprint) this.fingerprints.set(d.error_fingerprint, (this.fingerprints.get(d.error_fingerprint) ?? 0) + 1);
      if (d.error_category) this.categories.add(d.error_category);
    }
    const usage = (data as { usage?: Usage }).usage;
    if (usage && type !== "session_end") {
      this.sawUsage = true;
      this.usage.input += usage.input ?? 0;
      this.usage.output += usage.output ?? 0;
      this.usage.cache_read += usage.cache_read ?? 0;
      this.usage.cache_creation += usage.cache_creation ?? 0;
      this.usage.reasoning += usage.reasoning ?? 0;
    }
  }
}

export function sumUsage(u: Usage): number {
  return (u.input ?? 0) + (u.output ?? 0) + (u.cache_read ?? 0) + (u.cache_creation ?? 0) + (u.reasoning ?? 0);
}

/** Every error event carries a fingerprint and category from the one fingerprint function. */
export function withFingerprint(data: Data<"error">): Data<"error"> {
  if (data.error_fingerprint && data.error_category) return data;
  const fp = fingerprint(data.error_message ?? "", { stackTrace: data.stack_trace });
  return {
    ...data,
    error_fingerprint: data.error_fingerprint ?? fp.fingerprint,
    error_category: data.error_category ?? fp.category,
    ...(fp.known || data.error_template ? {} : { error_template: fp.template }),
  };
}

export function createRecorder(opts: RecorderOptions): Recorder {
  return new Recorder(opts);
}
