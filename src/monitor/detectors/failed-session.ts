import type { AwlEvent } from "../../schema/index.js";
import { isProviderError } from "./error-loop.js";
import type { AttemptState, DetectorOptions, Sink } from "./types.js";

/**
 * failed_session_high_errors: a session that ended failed or timed out after at least
 * `failedSessionErrorThreshold` errors of its own (provider failures are not counted: they
 * have their own alert). Raised once, at the session_end.
 */
export function failedSession(s: AttemptState, e: AwlEvent, t: number, o: DetectorOptions, sink: Sink): void {
  if (e.event_type === "error" && !isProviderError(e)) s.agentErrors++;
  if (e.event_type !== "session_end") return;
  const status = e.data.completion_status;
  if ((status !== "failed" && status !== "timeout") || s.agentErrors < o.failedSessionErrorThreshold) return;
  sink.raise({
    type: "failed_session_high_errors",
    subject: "session",
    severity: "error",
    recommendation: "review_task",
    message: `session ended ${status} after ${s.agentErrors} errors`,
    firstSeq: e.sequence_num,
    firstTs: t,
    lastTs: t,
    occurrences: s.agentErrors,
    triggerSeq: e.sequence_num,
    details: { completion_status: status },
  });
}
