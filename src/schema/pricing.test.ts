import { describe, expect, it } from "vitest";
import { estimateCost, priceOf } from "./pricing.js";

describe("estimateCost", () => {
  it.each([
    ["claude-sonnet-4-5-20250929", { input: 1_000_000, output: 100_000, cache_read: 2_000_000, cache_creation: 100_000 }, 3 + 1.5 + 0.6 + 0.375],
    ["claude-opus-4-1-20250805", { input: 10_000, output: 1_000 }, 0.15 + 0.075],
    ["claude-opus-4-5", { input: 10_000, output: 1_000 }, 0.05 + 0.025],
    ["gpt-5-codex", { input: 44_241, output: 504 }, 0.05530125 + 0.00504],
    ["gpt-5-mini", { input: 1_000_000, reasoning: 1_000_000 }, 0.25 + 2],
    ["gemini-2.5-flash", { input: 1_000_000, cache_read: 1_000_000, output: 1_000_000 }, 0.3 + 0.075 + 2.5],
    ["gemini-2.5-flash-lite", { input: 1_000_000 }, 0.1],
  ])("%s", (model, usage, usd) => {
    expect(estimateCost(model, usage)).toBeCloseTo(usd, 6);
  });

  it("knows nothing of unknown models rather than guessing", () => {
    expect(priceOf("mock-model")).toBeUndefined();
    expect(estimateCost("mock-model", { input: 10 })).toBeUndefined();
    expect(estimateCost(undefined, { input: 10 })).toBeUndefined();
  });
});
