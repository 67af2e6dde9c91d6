import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { COMPLETION_STATUSES, OUTCOME_STATUSES } from "../schema/vocabulary.js";
import { isSuccess, successMacroSql } from "./success.js";

describe("the one success rule", () => {
  it.each([
    [undefined, "success", undefined, true],
    [undefined, "failed", true, false],
    [undefined, "timeout", undefined, false],
    [undefined, "interrupted", undefined, false],
    ["completed", "failed", false, true],
    ["failed", "success", true, false],
    ["manual_review", "success", true, false],
    [undefined, undefined, true, true],
    [undefined, undefined, false, false],
    [undefined, undefined, undefined, null],
  ] as const)("outcome %s, completion %s, metrics.success %s → %s", (o, c, m, want) => {
    expect(isSuccess(o, c, m)).toBe(want);
  });

  it("the SQL macro agrees with the TypeScript rule on every combination of the vocabulary's words", async () => {
    const conn = await (await DuckDBInstance.create(":memory:")).connect();
    await conn.run(successMacroSql());
    const outcomes = [null, ...OUTCOME_STATUSES];
    const completions = [null, ...COMPLETION_STATUSES];
    for (const o of outcomes) {
      for (const c of completions) {
        for (const m of [null, true, false]) {
          const r = await conn.runAndReadAll("SELECT awl_success($1::VARCHAR, $2::VARCHAR, $3::BOOLEAN) AS s", [o, c, m]);
          expect(r.getRowObjectsJS()[0]!.s, `${o} ${c} ${m}`).toBe(isSuccess(o, c, m));
        }
      }
    }
    conn.closeSync();
  });
});
