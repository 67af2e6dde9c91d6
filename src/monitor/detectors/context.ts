import type { AwlEvent, Usage } from "../../schema/index.js";
import { type AttemptState, type DetectorOptions, episodeKey, type Sink } from "./types.js";

/**
 * context_exhaustion: the agent hit its context window (an error of category
 * context_window), or one request's prompt (input + cache read + cache creation) reached
 * `contextWindowRatio` of the model's window. Ends when a later request fits again.
 */

/** Context windows (tokens) by model name substring; the longest matching key wins, the config's entries added. */
export const CONTEXT_WINDOWS: Record<string, number> = {
  claude: 200_000,
  "gpt-5": 400_000,
  "gpt-4.1": 1_047_576,
  "gpt-4o": 128_000,
  o3: 200_000,
  "o4-mini": 200_000,
  gemini: 1_048_576,
};

export function contextWindowOf(model: string | null | undefined, extra: Record<string, number>): number | undefined {
  if (!model) return undefined;
  const m = model.toLowerCase();
  let best: [string, number] | undefined;
  for (const table of [CONTEXT_WINDOWS, extra]) {
    for (const [k, v] of Object.entries(table)) {
      const key = k.toLowerCase();
      if (m.includes(key) && (!best || key.length >= best[0].length)) best = [key, v];
    }
  }
  return best?.[1];
}

function promptTokens(u: Usage): number {
  return (u.input ?? 0) + (u.cache_read ?? 0) + (u.cache_creation ?? 0);
}

function usageOf(e: AwlEvent): Usage | undefined {
  switch (e.event_type) {
    case "agent_output":
    case "agent_thinking":
    case "tool_call":
      return e.data.usage;
    default:
      return undefined;
  }
}

export function contextExhaustion(s: AttemptState, e: AwlEvent, t: number, o: DetectorOptions, sink: Sink): void {
  if (e.event_type === "error" && e.data.error_category === "context_window") {
    const ep = s.episodes[episodeKey("context_exhaustion", "context")];
    sink.raise({
      type: "context_exhaustion",
      subject: "context",
      severity: "error",
      recommendation: "compact_or_split_task",
      message: "the agent ran out of context window",
      firstSeq: e.sequence_num,
      firstTs: t,
      lastTs: t,
      occurrences: (ep?.occurrences ?? 0) + 1,
      triggerSeq: e.sequence_num,
      ...(e.data.error_fingerprint ? { error_fingerprint: e.data.error_fingerprint } : {}),
      error_category: "context_window",
    });
    return;
  }
  const usage = usageOf(e);
  if (!usage) return;
  const window = contextWindowOf(e.model ?? s.model, o.contextWindows);
  if (!window) return;
  const prompt = promptTokens(usage);
  if (prompt >= o.contextWindowRatio * window) {
    sink.raise({
      type: "context_exhaustion",
      subject: "context",
      severity: "warning",
      recommendation: "compact_or_split_task",
      message: `a request's prompt used ${prompt.toLocaleString("en-US")} of ${window.toLocaleString("en-US")} context tokens (${Math.round((100 * prompt) / window)} %)`,
      firstSeq: e.sequence_num,
      firstTs: t,
      lastTs: t,
      occurrences: 1,
      triggerSeq: e.sequence_num,
      details: { prompt_tokens: prompt, context_window: window },
    });
  } else if (s.episodes[episodeKey("context_exhaustion", "context")]) {
    sink.clear("context_exhaustion", "context");
  }
}
