import { PROVIDER_CATEGORIES } from "../../schema/index.js";
import type { AwlEvent } from "../../schema/index.js";
import { type AttemptState, type DetectorOptions, episodeKey, minutes, prune, push, type Sink } from "./types.js";

/**
 * error_loop: the same error fingerprint at least `errorLoopThreshold` times within 10
 * minutes (event time) in one attempt. Provider failures (rate limits, overload, bad keys,
 * `error_source: "api"`) are the provider's, not the agent's: they never count here.
 */
export function isProviderError(e: AwlEvent): boolean {
  if (e.event_type !== "error") return false;
  return e.data.error_source === "api" || (e.data.error_category !== undefined && PROVIDER_CATEGORIES.includes(e.data.error_category));
}

export function errorLoop(s: AttemptState, e: AwlEvent, t: number, o: DetectorOptions, sink: Sink): void {
  if (e.event_type === "error" && !isProviderError(e) && e.data.error_fingerprint) {
    const fp = e.data.error_fingerprint;
    let occ = s.errors[fp];
    if (!occ) {
      occ = { t: [], s: [] };
      s.errors[fp] = occ;
    }
    if (e.data.error_category) occ.cat = e.data.error_category;
    prune(occ, t, o.errorLoopWindowMs);
    push(occ, t, e.sequence_num);
    const n = occ.t.length;
    if (n >= o.errorLoopThreshold) {
      sink.raise({
        type: "error_loop",
        subject: fp,
        severity: n >= 2 * o.errorLoopThreshold ? "critical" : "error",
        recommendation: "trigger_ai_autofix",
        message: `the same error (${fp}) ${n} times in ${minutes(occ.t[n - 1]! - occ.t[0]!)}`,
        firstSeq: occ.s[0]!,
        firstTs: occ.t[0]!,
        lastTs: t,
        occurrences: n,
        triggerSeq: e.sequence_num,
        error_fingerprint: fp,
        ...(occ.cat ? { error_category: occ.cat } : {}),
        ...(e.data.tool_name ? { tool_name: e.data.tool_name } : {}),
      });
    }
  }
  // An episode ends once fewer than the threshold remain inside the window.
  for (const fp in s.errors) {
    const occ = s.errors[fp]!;
    if (occ.t[0]! > t - o.errorLoopWindowMs) continue; // nothing left the window
    prune(occ, t, o.errorLoopWindowMs);
    if (occ.t.length < o.errorLoopThreshold && s.episodes[episodeKey("error_loop", fp)]) sink.clear("error_loop", fp);
    if (occ.t.length === 0) delete s.errors[fp];
  }
}
