import type { AttemptState, DetectorOptions, Finding } from "./types.js";
import { episodeKey, minutes } from "./types.js";

/**
 * stuck: an open session (started, not ended, recorded live rather than imported) with no
 * event for `stuckMs`. "Now" is the wall clock on the live analyzer's timer, and the event
 * time of later events in a replay: the same gap gives the same alert either way, because
 * everything in the alert is taken from the last event before the silence.
 */
export function stuckFinding(s: AttemptState, now: number, o: DetectorOptions): Finding | undefined {
  if (!s.open || s.imported || now - s.lastTs < o.stuckMs) return undefined;
  if (s.episodes[episodeKey("stuck", "session")]) return undefined;
  return {
    type: "stuck",
    subject: "session",
    severity: "warning",
    recommendation: "check_agent",
    message: `no event for ${minutes(o.stuckMs)} or more since #${s.lastSeq}`,
    firstSeq: s.lastSeq,
    firstTs: s.lastTs,
    lastTs: s.lastTs,
    occurrences: 1,
    triggerSeq: s.lastSeq,
    details: { stuck_minutes: o.stuckMs / 60_000 },
  };
}
