import type { Usage } from "./event.js";

/**
 * An offline price table (USD per million tokens, per bucket) for agents that report no cost
 * of their own. Cost computed from it is marked `cost_estimated: true`. Prices are the
 * vendors' published list prices as of 2026-11; the most specific pattern wins. Reasoning
 * tokens are billed as output by every vendor here.
 */
interface Price {
  input: number;
  output: number;
  cache_read: number;
  cache_creation: number;
}

const TABLE: [RegExp, Price][] = [
  // Anthropic: cache writes (5 min) cost 1.25× input, cache reads 0.1× input.
  [/claude-(?:3-)?opus-4-?[01]\b|claude-3-opus/, { input: 15, output: 75, cache_read: 1.5, cache_creation: 18.75 }],
  [/claude-opus/, { input: 5, output: 25, cache_read: 0.5, cache_creation: 6.25 }],
  [/claude-(?:3-5-|3-7-)?sonnet|claude-sonnet/, { input: 3, output: 15, cache_read: 0.3, cache_creation: 3.75 }],
  [/claude-(?:3-5-)?haiku-(?:3|4)|claude-haiku/, { input: 1, output: 5, cache_read: 0.1, cache_creation: 1.25 }],
  // OpenAI: cached input 0.1× input; no separate cache-write price.
  [/gpt-5(?:\.\d+)?-mini/, { input: 0.25, output: 2, cache_read: 0.025, cache_creation: 0.25 }],
  [/gpt-5(?:\.\d+)?-nano/, { input: 0.05, output: 0.4, cache_read: 0.005, cache_creation: 0.05 }],
  [/gpt-5/, { input: 1.25, output: 10, cache_read: 0.125, cache_creation: 1.25 }],
  [/\bo[34](?:-mini)?\b/, { input: 1.1, output: 4.4, cache_read: 0.275, cache_creation: 1.1 }],
  [/gpt-4\.1/, { input: 2, output: 8, cache_read: 0.5, cache_creation: 2 }],
  // Google: cached input 0.25× (2.5) / 0.1× (3.x) input.
  [/gemini-[\d.]+-flash-lite/, { input: 0.1, output: 0.4, cache_read: 0.025, cache_creation: 0.1 }],
  [/gemini-[\d.]+-flash/, { input: 0.3, output: 2.5, cache_read: 0.075, cache_creation: 0.3 }],
  [/gemini-[\d.]+-pro/, { input: 1.25, output: 10, cache_read: 0.31, cache_creation: 1.25 }],
];

export function priceOf(model: string | undefined): Price | undefined {
  if (!model) return undefined;
  const m = model.toLowerCase();
  return TABLE.find(([re]) => re.test(m))?.[1];
}

/** Estimated cost of `usage` on `model`, or undefined when the model is not in the table. */
export function estimateCost(model: string | undefined, usage: Usage | undefined): number | undefined {
  const p = priceOf(model);
  if (!p || !usage) return undefined;
  const usd =
    ((usage.input ?? 0) * p.input +
      ((usage.output ?? 0) + (usage.reasoning ?? 0)) * p.output +
      (usage.cache_read ?? 0) * p.cache_read +
      (usage.cache_creation ?? 0) * p.cache_creation) /
    1e6;
  return Math.round(usd * 1e6) / 1e6;
}
