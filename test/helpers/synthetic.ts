/**
 * A deterministic synthetic event stream for the watcher's tests and benchmarks: many
 * interleaved sessions of ordinary work (reads of different files, edits, tests), some of
 * them with an error loop, a tool loop or a failing provider. Lines are complete stream
 * lines (what LogWriter writes), so a test can append them raw, at any pace.
 */
export interface SyntheticOptions {
  events: number;
  /** Sessions running at once. */
  concurrent?: number;
  seed?: number;
  startMs?: number;
  /** Event-time step between consecutive lines. */
  stepMs?: number;
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

type Kind = "ok" | "error_loop" | "tool_loop" | "provider";

export function* syntheticLines(opts: SyntheticOptions): Generator<string> {
  const rand = rng(opts.seed ?? 42);
  const concurrent = opts.concurrent ?? 20;
  const step = opts.stepMs ?? 10;
  let t = opts.startMs ?? Date.parse("2026-11-20T00:00:00.000Z");
  let nextId = 0;
  interface S {
    id: string;
    seq: number;
    left: number;
    kind: Kind;
    n: number;
  }
  const newSession = (): S => {
    const r = rand();
    const kind: Kind = r < 0.05 ? "error_loop" : r < 0.08 ? "tool_loop" : r < 0.1 ? "provider" : "ok";
    return { id: `syn-${nextId++}`, seq: 0, left: 30 + Math.floor(rand() * 40), kind, n: 0 };
  };
  const live: S[] = Array.from({ length: concurrent }, newSession);
  for (let i = 0; i < opts.events; i++) {
    const k = Math.floor(rand() * live.length);
    const s = live[k]!;
    t += step;
    let type: string;
    let data: Record<string, unknown>;
    if (s.seq === 0) {
      type = "session_start";
      data = { prompt: "do the task", prompt_type: "initial" };
    } else if (s.left <= 1) {
      type = "session_end";
      data = { completion_status: s.kind === "ok" ? "success" : "failed", cost_usd: 0.2 };
    } else {
      s.n++;
      if (s.kind === "error_loop" && s.n % 3 === 0) {
        type = "error";
        data = { error_message: "fatal: 'origin' does not appear to be a git repository", error_fingerprint: "git_remote_not_found", error_category: "git", error_source: "tool" };
      } else if (s.kind === "tool_loop" && s.n % 2 === 0) {
        type = "tool_call";
        data = { tool_name: "Bash", tool_params: { command: "npm test" } };
      } else if (s.kind === "provider" && s.n % 4 === 0) {
        type = "error";
        data = { error_message: "API Error: 529 overloaded", error_fingerprint: "provider_overloaded", error_category: "provider", error_source: "api", http_status: 529 };
      } else if (s.n % 2 === 1) {
        type = "tool_call";
        data = { tool_name: "Read", tool_params: { file_path: `/repo/src/file-${s.id}-${s.n}.ts` } };
      } else {
        type = "agent_output";
        data = { output: `working on ${s.id} step ${s.n}` };
      }
    }
    const event = {
      schema_version: 1,
      timestamp: new Date(t).toISOString(),
      attempt_id: s.id,
      session_id: `sess-${s.id}`,
      task_id: `task-${s.id}`,
      executor: "CLAUDE",
      model: "claude-sonnet-4-5",
      event_type: type,
      data,
      elapsed_ms: 0,
      sequence_num: s.seq,
    };
    s.seq++;
    s.left--;
    yield JSON.stringify(event);
    if (type === "session_end") live[k] = newSession();
  }
}
