import { stripVTControlCharacters } from "node:util";
import { z } from "zod";
import type { Adapter, Captured, LineParser, ParserSnapshot, SessionFacts } from "../adapter.js";
import { emptyFacts, restoreParser, snapshotParts } from "../adapter.js";

/**
 * Any program that prints text: its lines become `agent_output` (coalesced per chunk the
 * caller reads, so a program printing millions of lines does not become millions of events),
 * and error lines and stack traces become `error` events with the trace kept whole in
 * `stack_trace`. Recognised: Node, Python, Java/JVM, Go, Rust, npm, git and the shell.
 */

/** A line that starts a multi-line trace; the lines after it that `continues` accepts belong to it. */
interface TraceKind {
  id: string;
  start: RegExp;
  continues: RegExp;
  /** For Python the message is the last line of the trace, not the first. */
  messageAtEnd?: boolean;
  /** Lines of any text accepted right after the start (Rust prints its panic message there). */
  freeLines?: number;
}

const TRACES: TraceKind[] = [
  // Python: "Traceback (most recent call last):", indented frames, then "ValueError: …" ends it.
  { id: "python", start: /^Traceback \(most recent call last\):/, continues: /^(?:\s+\S|\S*(?:Error|Exception|Exit|Interrupt|Warning)\b.*|During handling of the above exception|The above exception was the direct cause|$)/, messageAtEnd: true },
  // A client's retry and failure log with a Node trace after it (Gemini CLI on stderr:
  // "Attempt 1 failed with status 503. Retrying with backoff... _ApiError: {…}", frames, fields).
  { id: "node-log", start: /^Attempt \d+ failed\b|\bfailed with status \d{3}\b|^Error when talking to /, continues: /^\s+at |^\s+\{|^\s+[a-zA-Z_]+: |^\s*\}|^\s*\[cause\]/ },
  // Node/JS: "TypeError: x is not a function" then "    at f (file.js:1:2)" frames; also "file.js:3\n  code\n  ^" headers.
  { id: "node", start: /^(?:Uncaught )?(?:[A-Z][A-Za-z]*Error|Error)(?: \[[A-Z_]+\])?: /, continues: /^\s+at |^\s+\{|^\s+[a-zA-Z_]+: |^\s*\}|^\s*\[cause\]|^Node\.js v\d|^$/ },
  // JVM: "Exception in thread "main" java.lang.X: …", "\tat …", "Caused by: …", "\t... 5 more".
  { id: "java", start: /^(?:Exception in thread ".*" )?(?:[a-z][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)(?::|$)/, continues: /^\s+at |^Caused by: |^\s+\.\.\. \d+ more|^\s+Suppressed: / },
  // Go: "panic: …", blank, "goroutine 1 [running]:", frames (function line, then tab-indented file line).
  { id: "go", start: /^panic: |^fatal error: /, continues: /^$|^goroutine \d+ \[|^\t|^[\w./*()-]+\(.*\)$|^\[signal |^exit status \d+/ },
  // Rust: "thread 'main' panicked at src/main.rs:2:5:", the message, "note: run with `RUST_BACKTRACE=1`", backtrace frames.
  { id: "rust", start: /^thread '.*' panicked at /, continues: /^note: |^stack backtrace:|^\s+\d+: |^\s+at /, freeLines: 1 },
  // Rust/C compilers: "error[E0308]: mismatched types" then "  --> src/main.rs:4:5", gutter lines.
  { id: "rustc", start: /^error(?:\[E\d{4}\])?: /, continues: /^\s*--> |^\s*\||^\s*\d+\s*\||^\s*=\s|^\s*$/ },
  // npm: consecutive "npm ERR! …" / "npm error …" lines are one failure.
  { id: "npm", start: /^npm (?:ERR!|error) /, continues: /^npm (?:ERR!|error)/ },
];

/** Single-line errors (no trace follows). */
const ERROR_LINE = [
  /^(?:fatal|error|FATAL|ERROR)(?:\[[\w-]+\])?: /, // git, many CLIs
  /^(?:[^:\s][^:]*: ){1,3}(?:command not found|not found|Permission denied|No such file or directory)$/, // shell
  /^\S+:\d+: .*(?:error|Error)\b/, // sh: 1: …, compilers "file:line: error"
  /^(?:E|ERR|FAIL|FAILED)\b[: ].*/,
  /^\s*(?:✖|✗|×) .*(?:fail|error)/i,
  /\b(?:ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EACCES|ENOENT|EADDRINUSE)\b/,
  /^Segmentation fault|^Killed$|^Aborted \(core dumped\)/,
];

/**
 * Every trace start and error line above contains one of these: a line without any is plain
 * output, and the fourteen patterns are not tried on it (most lines a program prints).
 */
const MAYBE_ERROR = /rror|ERR|failed|Traceback|xception|panic|fatal|FATAL|FAIL|not found|denied|No such|\bE[A-Z]{3,}\b|^E\b|Segmentation|Killed|Aborted|[✖✗×]/;

/**
 * Where in a block of lines the per-line reading must take over: a line that may be an error
 * (MAYBE_ERROR, `m` so its `^` anchors at every line's start) or that holds a colour code (the
 * patterns are tried on the line without them). Everything before such a line is plain output.
 */
const NEEDS_A_LOOK = new RegExp(`${MAYBE_ERROR.source}|\u001b`, "gm");

const MAX_OUTPUT_CHARS = 64 * 1024;
const MAX_TRACE_LINES = 400;

/** Raised whenever the snapshot's state, or what the parser does with it, changes. */
export const TEXT_SNAPSHOT_VERSION = 1;

export class TextParser implements LineParser {
  private out: string[] = [];
  private outChars = 0;
  private outAt: string | undefined;
  private trace: { kind: TraceKind; lines: string[]; at: string | undefined } | undefined;
  private facts_: SessionFacts = emptyFacts();

  constructor(private readonly streamType: "stdout" | "stderr" = "stdout") {}

  line(raw: string, seenAt?: string): Captured[] {
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    // Colour codes start with ESC; most lines have none, and stripping is not free.
    const plain = text.includes("\u001b") ? stripVTControlCharacters(text) : text;
    const events: Captured[] = [];
    if (this.trace) {
      const free = this.trace.lines.length <= (this.trace.kind.freeLines ?? 0);
      if ((free || this.trace.kind.continues.test(plain)) && this.trace.lines.length < MAX_TRACE_LINES) {
        this.trace.lines.push(plain);
        this.keep(text, seenAt, events);
        return events;
      }
      events.push(...this.closeTrace());
    }
    const suspicious = MAYBE_ERROR.test(plain);
    const kind = suspicious ? TRACES.find((k) => k.start.test(plain)) : undefined;
    this.keep(text, seenAt, events);
    if (kind) this.trace = { kind, lines: [plain], at: seenAt };
    else if (suspicious && ERROR_LINE.some((re) => re.test(plain))) events.push(...this.flush(), this.error(plain, undefined, seenAt));
    return events;
  }

  /**
   * Reads a block of whole lines (each ending in "\n"), adding what it finds to `events`: the
   * same events as `line()` on each line, but a run of lines none of which can be an error is
   * kept with one scan of the block instead of one look at each line (most of a program's
   * output; a program printing hundreds of thousands of lines is where this counts).
   */
  lines(block: string, seenAt: string | undefined, events: Captured[]): void {
    if (!block.endsWith("\n")) block += "\n";
    if (block.includes("\r\n")) block = block.replaceAll("\r\n", "\n"); // line() drops a line's final \r too
    let pos = 0;
    while (pos < block.length) {
      if (!this.trace) {
        NEEDS_A_LOOK.lastIndex = pos;
        const hit = NEEDS_A_LOOK.exec(block);
        // A match never starts on a "\n", so the line holding it starts at or after `pos`.
        const lineStart = hit ? block.lastIndexOf("\n", hit.index - 1) + 1 : block.length;
        if (lineStart > pos) this.keepLines(block, pos, lineStart, seenAt, events);
        pos = lineStart;
        if (pos >= block.length) break;
      }
      const nl = block.indexOf("\n", pos);
      const end = nl === -1 ? block.length : nl;
      for (const e of this.line(block.slice(pos, end), seenAt)) events.push(e);
      pos = end + 1;
    }
  }

  /** The caller read a chunk: what it printed so far becomes one agent_output event. */
  flush(): Captured[] {
    if (this.out.length === 0) return [];
    const output = this.out.join("\n");
    const at = this.outAt;
    this.out = [];
    this.outChars = 0;
    this.outAt = undefined;
    return [{ event_type: "agent_output", data: { output, stream_type: this.streamType }, ...(at ? { timestamp: at } : {}) }];
  }

  end(): Captured[] {
    // A trace still open at the end is complete: nothing more will follow.
    const closing = this.trace ? this.closeTrace() : [];
    return [...this.flush(), ...closing];
  }

  facts(): SessionFacts {
    return this.facts_;
  }

  /**
   * The stream it reads, the output not yet flushed (under MAX_OUTPUT_CHARS plus one line) and
   * the trace still open (its kind and at most MAX_TRACE_LINES lines): what end() would emit.
   */
  snapshot(): ParserSnapshot {
    const state: TextState = {
      facts: this.facts_,
      streamType: this.streamType,
      out: this.out,
      outChars: this.outChars,
      outAt: this.outAt ?? null,
      trace: this.trace ? { kind: this.trace.kind.id, lines: this.trace.lines, at: this.trace.at ?? null } : null,
    };
    return { adapter: "text", format: "stream", version: TEXT_SNAPSHOT_VERSION, state: structuredClone(state) };
  }

  static fromState(st: TextState): TextParser {
    const p = new TextParser(st.streamType);
    p.facts_ = st.facts;
    p.out = st.out;
    p.outChars = st.outChars;
    p.outAt = st.outAt ?? undefined;
    if (st.trace) {
      const id = st.trace.kind;
      const kind = TRACES.find((k) => k.id === id);
      if (!kind) throw new Error(`unknown trace kind ${id}`);
      p.trace = { kind, lines: st.trace.lines, at: st.trace.at ?? undefined };
    }
    return p;
  }

  private keep(text: string, seenAt: string | undefined, events: Captured[]): void {
    this.outAt ??= seenAt;
    this.out.push(text);
    this.outChars += text.length + 1;
    if (this.outChars >= MAX_OUTPUT_CHARS) events.push(...this.flush());
  }

  /** `keep` for each line of `block` from `from` to `to` (whole lines: `to` follows a "\n"), in pieces of many lines. */
  private keepLines(block: string, from: number, to: number, seenAt: string | undefined, events: Captured[]): void {
    this.outAt ??= seenAt;
    while (from < to) {
      // keep() flushes after the line that brings the kept text to MAX_OUTPUT_CHARS: the line ending at or after this index.
      const nl = block.indexOf("\n", Math.max(from, from + MAX_OUTPUT_CHARS - this.outChars - 1));
      if (nl === -1 || nl >= to - 1) {
        this.out.push(block.slice(from, to - 1));
        this.outChars += to - from;
        if (this.outChars >= MAX_OUTPUT_CHARS) for (const e of this.flush()) events.push(e);
        return;
      }
      this.out.push(block.slice(from, nl));
      this.outChars += nl + 1 - from;
      for (const e of this.flush()) events.push(e);
      from = nl + 1;
      this.outAt ??= seenAt;
    }
  }

  private closeTrace(): Captured[] {
    const t = this.trace!;
    this.trace = undefined;
    let lines = t.lines;
    while (lines.length > 1 && lines[lines.length - 1]!.trim() === "") lines = lines.slice(0, -1);
    let message = lines[0]!;
    if (t.kind.messageAtEnd) message = [...lines].reverse().find((l) => /^\S/.test(l) && !l.startsWith("Traceback")) ?? message;
    // The output before the trace is flushed first, so the transcript keeps its order.
    return [...this.flush(), this.error(message, lines.length > 1 ? lines.join("\n") : undefined, t.at)];
  }

  private error(message: string, stack: string | undefined, at: string | undefined): Captured {
    return {
      event_type: "error",
      data: { error_message: message.trim(), error_source: "output", ...(stack ? { stack_trace: stack } : {}) },
      ...(at ? { timestamp: at } : {}),
    };
  }
}

/** The state a TextParser snapshot holds (see `snapshot()`). */
export const textState = z.object({
  facts: snapshotParts.facts,
  streamType: z.enum(["stdout", "stderr"]),
  out: z.array(z.string()),
  outChars: z.number().int().nonnegative(),
  outAt: z.string().nullable(),
  trace: z.object({ kind: z.string(), lines: z.array(z.string()).min(1), at: z.string().nullable() }).nullable(),
});
type TextState = z.infer<typeof textState>;

export const textAdapter: Adapter = {
  id: "text",
  detect: () => "stream",
  parser: () => new TextParser("stdout"),
  restore: (format, snapshot) => restoreParser(snapshot, { adapter: "text", format, version: TEXT_SNAPSHOT_VERSION }, textState, (st) => TextParser.fromState(st)),
};
