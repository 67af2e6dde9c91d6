import type { AwlEvent } from "../../schema/index.js";
import type { DetectorOptions, Episode, Finding } from "./types.js";

/**
 * excessive_restarts: one task started again and again: at least `restartThreshold`
 * retries (session starts after the first) of the same task_id. The episode belongs to the
 * task; it ends when a session of the task succeeds.
 */
export interface TaskState {
  starts: number;
  lastTs: number;
  firstSeq: number;
  firstTs: number;
  firstAttempt: string;
  episode?: Episode;
}

export type TaskSignal = { raise: Finding } | { clear: true } | undefined;

export function excessiveRestarts(task: TaskState, e: AwlEvent, t: number, o: DetectorOptions): TaskSignal {
  task.lastTs = Math.max(task.lastTs, t);
  if (e.event_type === "session_end" && e.data.completion_status === "success") {
    task.starts = 0;
    return task.episode ? { clear: true } : undefined;
  }
  if (e.event_type !== "session_start") return undefined;
  if (task.starts === 0) {
    task.firstSeq = e.sequence_num;
    task.firstTs = t;
    task.firstAttempt = e.attempt_id;
  }
  task.starts++;
  const retries = task.starts - 1;
  if (retries < o.restartThreshold) return undefined;
  return {
    raise: {
      type: "excessive_restarts",
      subject: `task:${e.task_id}`,
      severity: "error",
      recommendation: "review_task",
      message: `task ${e.task_id} restarted ${retries} times without success`,
      firstSeq: task.firstSeq,
      firstTs: task.firstTs,
      lastTs: t,
      occurrences: retries,
      triggerSeq: e.sequence_num,
      details: { first_attempt_id: task.firstAttempt },
    },
  };
}
