/**
 * Redaction cost per event line. Run: npx tsx bench/redact.bench.ts
 *
 * Figures: JSON.stringify of a typical event (the baseline every writer pays anyway),
 * the prefilter on clean lines, and full redaction of a dirty line. Secrets are built at
 * run time from a seeded generator, like the test corpus, so none sits in the source.
 */
import { mayContainSecret, redactJsonLine, redactValue } from "../src/store/redact.js";
import { seededRandom } from "../src/store/redact-corpus.js";

const next = seededRandom(42);
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const random = (n: number): string => Array.from({ length: n }, () => ALNUM.charAt(Math.floor(next() * ALNUM.length))).join("");

const envelope = {
  schema_version: 1,
  timestamp: "2026-07-22T09:50:33.123Z",
  attempt_id: "att_7f3a9c2e-1b4d-4e8f-9a21-0c5d6e7f8a9b",
  session_id: "5b2f1e0c-3d4a-4b6c-8e9f-a1b2c3d4e5f6",
  task_id: "task-142",
  executor: "claude-code",
  model: "claude-sonnet-4-5",
  elapsed_ms: 48213,
  sequence_num: 57,
};

/** ~400 bytes, the typical agent_output line. */
const typical = {
  ...envelope,
  event_type: "agent_output",
  data: { output: "Running the writer tests again to confirm the fix.", usage: { input: 12, output: 340, total_tokens: 352 } },
};

/** Clean lines of several kinds, for the prefilter's typical cost. */
const clean = [
  typical,
  {
    ...envelope,
    event_type: "tool_call",
    data: { tool_name: "Bash", tool_call_id: "toolu_01XFDUDYJgAACzvnptvVoYEL", tool_params: { command: "npx vitest run src/store --reporter=dot", description: "Run store tests" } },
  },
  {
    ...envelope,
    event_type: "tool_result",
    data: {
      tool_name: "Read",
      tool_call_id: "toolu_01XFDUDYJgAACzvnptvVoYEL",
      result: "success",
      duration_ms: 12,
      result_data: {
        content:
          'import { createWriteStream } from "node:fs";\nexport function open(path: string) {\n  const fd = openSync(path, "a", 0o600);\n  return { write: (line: string) => writeSync(fd, line + "\\n") };\n}\n',
      },
    },
  },
  {
    ...envelope,
    event_type: "error",
    data: { error_message: "TypeError: Cannot read properties of undefined (reading 'map')", stack_trace: "TypeError: Cannot read properties of undefined (reading 'map')\n    at render (src/report/html.ts:88:21)\n    at main (src/cli/main.ts:40:3)" },
  },
];
const cleanLines = clean.map((e) => JSON.stringify(e));

const dirty = {
  ...envelope,
  event_type: "tool_result",
  data: {
    tool_name: "Bash",
    result: "success",
    result_data: {
      stdout: `DATABASE_URL=postgres://app:${random(16)}@db.internal:5432/app\nGITHUB_TOKEN=ghp_${random(36)}\nLOG_LEVEL=debug\n`,
    },
  },
};
const dirtyLine = JSON.stringify(dirty);

function measure(label: string, bytes: number, fn: () => unknown): number {
  const rounds = 7;
  const n = 20_000;
  for (let i = 0; i < n; i++) fn();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / n);
  }
  console.log(`${label.padEnd(52)} ${best.toFixed(0).padStart(6)} ns/line  ${(best / bytes).toFixed(2).padStart(5)} ns/B  (${bytes} B)`);
  return best;
}

if (mayContainSecret(JSON.stringify(typical)) || cleanLines.some(mayContainSecret)) throw new Error("a clean bench line trips the prefilter");
if (!mayContainSecret(dirtyLine) || redactValue(dirty) === dirty) throw new Error("the dirty bench line is not redacted");

console.log(`node ${process.version}, best of 7 rounds`);
const typicalLine = JSON.stringify(typical);
const base = measure("JSON.stringify, typical event (baseline)", typicalLine.length, () => JSON.stringify(typical));
const pre = measure("mayContainSecret, typical clean line", typicalLine.length, () => mayContainSecret(typicalLine));
const mixedBytes = cleanLines.reduce((a, l) => a + l.length, 0) / cleanLines.length;
let k = 0;
measure("mayContainSecret, mix of clean lines (avg)", Math.round(mixedBytes), () => mayContainSecret(cleanLines[k++ % cleanLines.length] ?? ""));
measure("redactJsonLine, typical clean line", typicalLine.length, () => redactJsonLine(typicalLine));
measure("redactValue, dirty event (object walk)", dirtyLine.length, () => redactValue(dirty));
measure("redactJsonLine, dirty line (parse+walk+stringify)", dirtyLine.length, () => redactJsonLine(dirtyLine));
console.log(`prefilter / stringify on the typical line: ${(pre / base).toFixed(2)}`);
