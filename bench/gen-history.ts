// Generates a large log directory for the analytics bench, once per parameter set, under
// os.tmpdir()/awl-bench-history-<events>-v1 (reused by later runs): sessions of several
// executors and models with tool calls, outputs, errors from a few hundred fingerprints and
// session ends, about 700 bytes an event. Half of the stream goes into gzip archives the way
// `awl rotate` leaves them; metrics records likewise (a monthly archive and the live file).
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { ERROR_CATEGORIES } from "../src/schema/vocabulary.js";
import { seededRandom } from "../src/store/redact-corpus.js";

const VERSION = "v1";
const EXECUTORS = ["claude-code", "codex", "gemini", "copilot"];
const MODELS = ["opus", "sonnet", "gpt-5", "gpt-5-mini", "gemini-pro", "gemini-flash"];
const TOOLS = ["Bash", "Read", "Edit", "Write", "Grep", "Glob"];
const FILLER = "The agent reads the failing test, edits the module and runs the suite again to check the change. ".repeat(4);


export interface History {
  dir: string;
  events: number;
  sessions: number;
  bytes: number;
}

export async function generateHistory(events: number, seed = 7): Promise<History> {
  const dir = join(tmpdir(), `awl-bench-history-${events}-${seed}-${VERSION}`);
  const done = join(dir, ".complete.json");
  if (existsSync(done)) return JSON.parse((await import("node:fs")).readFileSync(done, "utf8")) as History;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "archive"), { recursive: true });
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const start = Date.parse("2026-08-01T00:00:00Z");
  const span = Date.parse("2026-11-20T00:00:00Z") - start;
  const archives = 4;
  const perFile = Math.ceil(events / 2 / archives);
  let written = 0;
  let sessions = 0;
  let bytes = 0;
  const metrics: string[] = [];

  // Sessions are generated in time order; each file holds whole sessions.
  function* lines(limit: number): Generator<string> {
    let n = 0;
    while (n < limit && written < events) {
      const id = `att-${sessions}`;
      const task = `task-${Math.floor(sessions / 2.5)}`;
      const executor = pick(EXECUTORS);
      const model = pick(MODELS);
      const t0 = start + Math.floor((sessions / (events / 50)) * span);
      const size = 20 + Math.floor(r() * 60);
      const failRate = executor === "codex" ? 0.4 : executor === "gemini" ? 0.35 : 0.25;
      const status = r() < failRate ? pick(["failed", "failed", "timeout", "interrupted"]) : "success";
      const base = { schema_version: 1, attempt_id: id, session_id: `s-${sessions}`, task_id: task, executor, model, source: "run" };
      let seq = 0;
      let tokens = 0;
      const ev = (event_type: string, data: object, extra: object = {}) => {
        const ms = seq * 1500;
        return `${JSON.stringify({ ...base, ...extra, timestamp: new Date(t0 + ms).toISOString(), event_type, data, elapsed_ms: ms, sequence_num: seq++ })}\n`;
      };
      yield ev("session_start", { prompt: `Fix ${task}: ${FILLER.slice(0, 200)}`, prompt_type: r() < 0.2 ? "retry" : "initial" }, { task_title: `Task ${task}`, project_id: `proj-${sessions % 7}` });
      for (let i = 1; i < size - 1 && written + seq < events; i++) {
        const k = r();
        if (k < 0.35) {
          const u = { input: 800 + Math.floor(r() * 4000), output: 100 + Math.floor(r() * 900), cache_read: Math.floor(r() * 20000) };
          tokens += u.input + u.output + u.cache_read;
          yield ev("agent_output", { output: FILLER.slice(0, 250 + Math.floor(r() * 150)), stream_type: "stdout", usage: { ...u, total_tokens: u.input + u.output + u.cache_read } });
        } else if (k < 0.65) {
          yield ev("tool_call", { tool_name: pick(TOOLS), tool_call_id: `tc-${sessions}-${i}`, tool_params: { command: `npm test -- src/module${i}.test.ts`, description: FILLER.slice(0, 120) } });
        } else if (k < 0.92) {
          yield ev("tool_result", { tool_name: pick(TOOLS), tool_call_id: `tc-${sessions}-${i - 1}`, result: r() < 0.85 ? "success" : "error", duration_ms: Math.floor(r() * 8000), result_data: FILLER.slice(0, 200 + Math.floor(r() * 200)) });
        } else {
          const f = Math.floor(r() ** 2 * 300);
          yield ev("error", {
            error_message: `failure ${f}: ${FILLER.slice(0, 150)}`,
            error_fingerprint: `fp_${String(f).padStart(3, "0")}`,
            error_category: ERROR_CATEGORIES[f % ERROR_CATEGORIES.length],
            error_source: "tool",
          });
        }
      }
      const cost = Math.round(tokens * 0.000003 * 1e6) / 1e6;
      const dur = seq * 1500;
      yield ev("session_end", { completion_status: status, duration_ms: dur, total_tokens: tokens, cost_usd: cost, exit_code: status === "success" ? 0 : 1 }, { task_title: `Task ${task}`, project_id: `proj-${sessions % 7}` });
      metrics.push(
        `${JSON.stringify({ schema_version: 1, timestamp: new Date(t0 + dur).toISOString(), attempt_id: id, task_id: task, executor, model, metrics: { duration_ms: dur, total_tokens: tokens, cost_usd: cost, success: status === "success", completion_status: status } })}\n`,
      );
      n += seq;
      written += seq;
      sessions++;
    }
  }

  async function write(path: string, limit: number, gzip: boolean) {
    const src = Readable.from(
      (function* () {
        let buf = "";
        for (const l of lines(limit)) {
          buf += l;
          if (buf.length > 1 << 20) {
            bytes += Buffer.byteLength(buf);
            yield buf;
            buf = "";
          }
        }
        bytes += Buffer.byteLength(buf);
        yield buf;
      })(),
    );
    if (gzip) await pipeline(src, createGzip({ level: 6 }), createWriteStream(`${path}.tmp`));
    else await pipeline(src, createWriteStream(`${path}.tmp`));
    renameSync(`${path}.tmp`, path);
  }

  for (let i = 0; i < archives; i++) {
    await write(join(dir, "archive", `agent-work-stream.2026-11-0${i + 1}T00-00-00-000Z.jsonl.gz`), perFile, true);
  }
  await write(join(dir, "agent-work-stream.jsonl"), events, false);
  const half = Math.floor(metrics.length / 2);
  await pipeline(Readable.from([metrics.slice(0, half).join("")]), createGzip(), createWriteStream(join(dir, "archive", "agent-metrics.2026-10.jsonl.gz")));
  writeFileSync(join(dir, "agent-metrics.jsonl"), metrics.slice(half).join(""));
  const h: History = { dir, events: written, sessions, bytes };
  writeFileSync(done, JSON.stringify(h));
  return h;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 1_000_000);
  const t0 = performance.now();
  const h = await generateHistory(n);
  console.log(JSON.stringify({ ...h, seconds: (performance.now() - t0) / 1000 }));
}
