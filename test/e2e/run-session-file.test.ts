import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AwlEvent } from "../../src/schema/index.js";
import { logPaths } from "../../src/store/paths.js";
import { awl } from "../helpers/awl.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir();
const FAKE = join(import.meta.dirname, "workers", "fake-gemini.mjs");
const FIX = join(import.meta.dirname, "..", "fixtures", "real", "gemini");

describe("awl run follows the agent's own session file", () => {
  it("records, while the agent runs, the failed shell commands Gemini CLI reports as successes on stdout", async () => {
    const dir = tmp();
    const home = mkdtempSync(join(dir, "home-"));
    const r = await awl(["run", "--log-dir", dir, "--attempt-id", "gem", "--", process.execPath, FAKE, FIX, logPaths(dir).stream], {
      env: { ...process.env, HOME: home },
    });
    expect(r.code).toBe(0); // 3 would mean the failure only appeared after the agent exited
    const events = readFileSync(logPaths(dir).stream, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AwlEvent);
    const results = events.filter((e) => e.event_type === "tool_result");
    expect(results.length).toBe(4);
    expect(results.every((e) => (e.data as { result: string }).result === "success")).toBe(true); // what stdout says
    const toolErrors = events.filter((e) => e.event_type === "error" && (e.data as { error_source: string }).error_source === "tool");
    expect(toolErrors).toHaveLength(4); // what the session file says: exit 128, four times
    expect(new Set(toolErrors.map((e) => (e.data as { tool_call_id: string }).tool_call_id)).size).toBe(4);
    expect(toolErrors.every((e) => (e.data as { error_category: string }).error_category === "git")).toBe(true);
  });
});
