import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openAnalytics } from "../../src/analytics/index.js";
import { importPaths } from "../../src/capture/import.js";
import { loadConfig } from "../../src/config/index.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir("awl-analyze-real-");
// Copies of the real transcripts of ../shared/fixtures/real (see test/fixtures/real/*/SOURCES.md).
const FIX = join(import.meta.dirname, "..", "fixtures", "real");

// biome-ignore lint/suspicious/noExplicitAny: the agents' own JSON, read field by field as each agent writes it
type J = Record<string, any>;
const lines = (p: string): J[] =>
  readFileSync(p, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

/** What each transcript itself says it used and how many of its steps failed, read straight from the agent's output. */
function transcriptTotals(agent: string, file: string): { tokens: number; errors: number } {
  const recs = lines(file);
  if (agent === "claude") {
    const u = recs.find((r) => r.type === "result")!.usage;
    const errors = recs
      .filter((r) => r.type === "user")
      .flatMap((r) => (Array.isArray(r.message.content) ? r.message.content : []))
      .filter((b: J) => b.type === "tool_result" && b.is_error).length;
    return { tokens: u.input_tokens + u.output_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens, errors };
  }
  if (agent === "codex") {
    // OpenAI counts cached input inside input and reasoning inside output: each token once.
    const tokens = recs
      .filter((r) => r.type === "turn.completed")
      .reduce((n, r) => n + r.usage.input_tokens + r.usage.output_tokens + (r.usage.cache_write_input_tokens ?? 0), 0);
    const errors = recs.filter((r) => r.type === "item.completed" && r.item.type === "command_execution" && r.item.exit_code !== 0).length;
    return { tokens, errors };
  }
  const tokens = recs.find((r) => r.type === "result")!.stats.total_tokens as number;
  return { tokens, errors: recs.filter((r) => r.type === "error").length };
}

describe("analytics over real agent transcripts", () => {
  it("imported transcripts give the token and error totals the transcripts show", async () => {
    const dir = tmp();
    const src = tmp();
    let tokens = 0;
    let errors = 0;
    const files: string[] = [];
    for (const agent of ["claude", "codex", "gemini"]) {
      for (const scenario of ["success", "error_loop"]) {
        const from = join(FIX, agent, `${scenario}.stdout.jsonl`);
        const to = join(src, `${agent}-${scenario}.jsonl`);
        copyFileSync(from, to);
        files.push(to);
        const t = transcriptTotals(agent, from);
        tokens += t.tokens;
        errors += t.errors;
      }
    }
    expect(errors).toBe(11); // 5 failed git pushes for Claude and Codex each, one loop report from Gemini
    await importPaths({ paths: files, config: loadConfig({ flags: { logDir: dir }, env: {}, cwd: dir }) });
    const a = await openAnalytics({ logDir: dir, streamFile: "agent-work-stream.jsonl" });
    try {
      const s = await a.sql("SELECT count(*) AS sessions, sum(tokens) AS tokens FROM sessions");
      expect(s.rows[0]).toEqual({ sessions: 6, tokens });
      const e = await a.errors();
      expect(e.total).toBe(errors);
      const ex = await a.executors();
      expect(ex.executors.reduce((n, x) => n + x.sessions, 0)).toBe(6);
      expect(a.skipped).toEqual({ events: 0, metrics: 0, alerts: 0 });
    } finally {
      a.close();
    }
  });
});
