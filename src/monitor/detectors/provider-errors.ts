import type { AwlEvent } from "../../schema/index.js";
import { isProviderError } from "./error-loop.js";
import { type AttemptState, type DetectorOptions, episodeKey, minutes, prune, push, type Sink } from "./types.js";

/**
 * provider_errors: the model provider failing again and again (overloaded, 5xx, 401, rate
 * limits, broken streams; each retry the agent reports counts): at least
 * `providerErrorThreshold` in 10 minutes in one attempt → switch provider or back off.
 */
export function providerErrors(s: AttemptState, e: AwlEvent, t: number, o: DetectorOptions, sink: Sink): void {
  prune(s.provider, t, o.providerErrorWindowMs);
  if (e.event_type === "error" && isProviderError(e)) {
    push(s.provider, t, e.sequence_num);
    const n = s.provider.t.length;
    if (n >= o.providerErrorThreshold) {
      const status = e.data.http_status;
      sink.raise({
        type: "provider_errors",
        subject: "provider",
        severity: n >= 2 * o.providerErrorThreshold ? "critical" : "error",
        recommendation: "switch_provider_or_backoff",
        message: `the model provider failed ${n} times in ${minutes(t - s.provider.t[0]!)}${status ? ` (last: HTTP ${status})` : ""}`,
        firstSeq: s.provider.s[0]!,
        firstTs: s.provider.t[0]!,
        lastTs: t,
        occurrences: n,
        triggerSeq: e.sequence_num,
        ...(e.data.error_fingerprint ? { error_fingerprint: e.data.error_fingerprint } : {}),
        ...(e.data.error_category ? { error_category: e.data.error_category } : {}),
      });
    }
  } else if (s.provider.t.length < o.providerErrorThreshold && s.episodes[episodeKey("provider_errors", "provider")]) {
    sink.clear("provider_errors", "provider");
  }
}
