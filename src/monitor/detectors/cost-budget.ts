import { estimateCost } from "../../schema/pricing.js";
import type { AwlEvent, Usage } from "../../schema/index.js";
import type { AttemptState, DetectorOptions, Sink } from "./types.js";

/**
 * cost_budget: a session's cost passing its budget. The running cost adds each request's
 * usage at the model's list price; a session_end's own `cost_usd` (the agent's figure) wins
 * when larger. The budget is the longest `byModel` key found in the model name, else the
 * executor's, else the default. Cost only grows, so the episode lasts the session.
 */
export function budgetOf(s: Pick<AttemptState, "model" | "executor">, o: DetectorOptions): number | undefined {
  const b = o.costBudgetUsd;
  if (s.model) {
    const m = s.model.toLowerCase();
    let best: [string, number] | undefined;
    for (const [k, v] of Object.entries(b.byModel)) if (m.includes(k.toLowerCase()) && (!best || k.length > best[0].length)) best = [k, v];
    if (best) return best[1];
  }
  if (s.executor) {
    for (const [k, v] of Object.entries(b.byExecutor)) if (k.toLowerCase() === s.executor.toLowerCase()) return v;
  }
  return b.default;
}

function usageOf(e: AwlEvent): Usage | undefined {
  if (e.event_type === "agent_output" || e.event_type === "agent_thinking" || e.event_type === "tool_call") return e.data.usage;
  return undefined;
}

export function costBudget(s: AttemptState, e: AwlEvent, t: number, o: DetectorOptions, sink: Sink): void {
  const before = s.costUsd;
  const usage = usageOf(e);
  if (usage) s.costUsd += estimateCost(e.model ?? s.model ?? undefined, usage) ?? 0;
  if (e.event_type === "session_end" && e.data.cost_usd !== undefined) s.costUsd = Math.max(s.costUsd, e.data.cost_usd);
  if (s.costUsd === before && e.event_type !== "session_start") return;
  const budget = budgetOf(s, o);
  if (budget === undefined || s.costUsd <= budget || before > budget) return;
  sink.raise({
    type: "cost_budget",
    subject: "cost",
    severity: s.costUsd > 2 * budget ? "critical" : "error",
    recommendation: "stop_session",
    message: `session cost $${s.costUsd.toFixed(2)} is over its $${budget.toFixed(2)} budget`,
    firstSeq: e.sequence_num,
    firstTs: t,
    lastTs: t,
    occurrences: 1,
    triggerSeq: e.sequence_num,
    details: { cost_usd: Math.round(s.costUsd * 1e6) / 1e6, budget_usd: budget },
  });
}
