import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Captured } from "../adapter.js";
import { TextParser } from "./index.js";

function run(text: string, stream: "stdout" | "stderr" = "stderr"): Captured[] {
  const p = new TextParser(stream);
  const out: Captured[] = [];
  for (const line of text.split("\n")) out.push(...p.line(line, "2026-11-25T10:00:00.000Z"));
  out.push(...p.end());
  return out;
}

function errors(text: string) {
  return run(text)
    .filter((e) => e.event_type === "error")
    .map((e) => e.data as { error_message: string; stack_trace?: string });
}

// Real output shapes of each runtime and tool; the message awl keeps and how many trace lines it holds.
const cases: [string, string, string, number][] = [
  [
    "node uncaught TypeError",
    `file:///app/src/index.js:3
  console.log(user.name);
                   ^

TypeError: Cannot read properties of undefined (reading 'name')
    at main (file:///app/src/index.js:3:20)
    at file:///app/src/index.js:5:1
    at ModuleJob.run (node:internal/modules/esm/module_job:263:25)

Node.js v20.20.2
after`,
    "TypeError: Cannot read properties of undefined (reading 'name')",
    6,
  ],
  [
    "python traceback",
    `Traceback (most recent call last):
  File "/app/calc.py", line 9, in <module>
    print(divide(1, 0))
  File "/app/calc.py", line 5, in divide
    return a / b
ZeroDivisionError: division by zero
after`,
    "ZeroDivisionError: division by zero",
    6,
  ],
  [
    "java exception with cause",
    `Exception in thread "main" java.lang.IllegalStateException: config missing
	at com.example.App.load(App.java:42)
	at com.example.App.main(App.java:10)
Caused by: java.io.FileNotFoundException: app.yaml (No such file or directory)
	at java.base/java.io.FileInputStream.open0(Native Method)
	... 2 more
after`,
    'Exception in thread "main" java.lang.IllegalStateException: config missing',
    6,
  ],
  [
    "go panic",
    `panic: runtime error: index out of range [5] with length 3

goroutine 1 [running]:
main.main()
	/app/main.go:8 +0x1d
exit status 2
after`,
    "panic: runtime error: index out of range [5] with length 3",
    6,
  ],
  [
    "rust panic",
    `thread 'main' panicked at src/main.rs:4:13:
attempt to divide by zero
note: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace
after`,
    "thread 'main' panicked at src/main.rs:4:13:",
    3,
  ],
  [
    "rustc error",
    `error[E0308]: mismatched types
 --> src/main.rs:2:18
  |
2 |     let x: i32 = "a";
  |            ---   ^^^ expected \`i32\`, found \`&str\`
after`,
    "error[E0308]: mismatched types",
    5,
  ],
  [
    "npm error block",
    `npm error code ERESOLVE
npm error ERESOLVE unable to resolve dependency tree
npm error Found: react@18.2.0
after`,
    "npm error code ERESOLVE",
    3,
  ],
  ["git fatal", "fatal: not a git repository (or any of the parent directories): .git", "fatal: not a git repository (or any of the parent directories): .git", 1],
  ["shell command not found", "bash: line 1: pnpm: command not found", "bash: line 1: pnpm: command not found", 1],
  ["sh not found", "sh: 1: jq: not found", "sh: 1: jq: not found", 1],
  ["permission denied", "bash: ./deploy.sh: Permission denied", "bash: ./deploy.sh: Permission denied", 1],
  ["connection refused", "Error: connect ECONNREFUSED 127.0.0.1:5432", "Error: connect ECONNREFUSED 127.0.0.1:5432", 1],
];

describe("TextParser", () => {
  it.each(cases)("%s becomes one error with its trace whole", (_label, text, message, traceLines) => {
    const found = errors(text);
    expect(found).toHaveLength(1);
    expect(found[0]!.error_message).toBe(message);
    expect(found[0]!.stack_trace?.split("\n").length ?? 1).toBe(traceLines);
  });

  it("reads Gemini CLI's retry log on stderr as provider errors, traces whole (real capture)", () => {
    // test/fixtures/real/gemini/api_error.stderr.txt: a copy of Gemini CLI 0.61.0's own stderr.
    const text = readFileSync(join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "real", "gemini", "api_error.stderr.txt"), "utf8");
    const found = errors(text);
    expect(found.map((e) => e.error_message.slice(0, 28))).toEqual([
      ...Array.from({ length: 9 }, (_, i) => `Attempt ${i + 1} failed with status 5`.slice(0, 28)),
      "Attempt 10 failed: The model",
      "Error when talking to Gemini",
    ]);
    expect(found[0]!.stack_trace?.split("\n").length).toBe(13);
    expect(found[10]!.stack_trace).toContain("retryDelayMs: undefined");
  });

  it.each([
    ["plain progress", "Compiling 12 files…\nDone in 1.2s"],
    ["a word error inside a sentence", "No errors found.\n0 errors, 0 warnings"],
    ["test names", "✓ handles error input (3 ms)"],
  ])("raises nothing for %s", (_label, text) => {
    expect(errors(text)).toEqual([]);
  });

  it("keeps every line in agent_output, in order, with errors after the output that holds them", () => {
    const out = run("one\nfatal: bad thing\nthree", "stdout");
    expect(out.map((e) => e.event_type)).toEqual(["agent_output", "error", "agent_output"]);
    expect((out[0]!.data as { output: string }).output).toBe("one\nfatal: bad thing");
    expect((out[2]!.data as { output: string; stream_type: string })).toEqual({ output: "three", stream_type: "stdout" });
  });

  it("coalesces lines until the caller flushes a chunk", () => {
    const p = new TextParser("stdout");
    expect(p.line("a")).toEqual([]);
    expect(p.line("b")).toEqual([]);
    expect(p.flush()).toEqual([{ event_type: "agent_output", data: { output: "a\nb", stream_type: "stdout" } }]);
    expect(p.flush()).toEqual([]);
  });

  it("strips colour codes from error messages but keeps them in the output", () => {
    const out = run("\u001b[31merror: build failed\u001b[0m");
    expect(out.find((e) => e.event_type === "error")?.data).toMatchObject({ error_message: "error: build failed" });
    const output = out.find((e) => e.event_type === "agent_output");
    expect(output?.data).toMatchObject({ output: expect.stringContaining("\u001b[31m") });
  });

  it("never throws on junk", () => {
    const p = new TextParser();
    for (const junk of ["\u0000\u0001", "\uFFFD\uFFFD", "x".repeat(200_000), "", "   "]) expect(() => p.line(junk)).not.toThrow();
    expect(() => p.end()).not.toThrow();
  });

  describe("lines(): a block of lines at once", () => {
    // Pieces that make lines plain, errors, trace starts and continuations, colour codes and CRLF endings.
    const piece = fc.constantFrom(
      "plain text", "x".repeat(70), "", " ", "    at f (a.js:1:2)", "Error: boom", "TypeError: bad", "error: failed", "fatal: no",
      "Traceback (most recent call last):", "  File \"a.py\", line 1", "ValueError: v", "npm error code E1", "ECONNREFUSED", "E x",
      "\u001b[31mred\u001b[0m", "\u001b[31mE x", "\u001b[0mEACCES", "\r", "panic: p", "goroutine 1 [running]:", "\t/a.go:1", "thread 'main' panicked at a.rs:1:1:", "✖ fail",
      "é€😀", "\u2028", "no errors found",
    );
    const text = fc.array(fc.array(piece, { maxLength: 3 }).map((p) => p.join(" ")), { maxLength: 60 }).map((lines) => lines.join("\n"));

    function perLine(blocks: string[]): Captured[] {
      const p = new TextParser("stdout");
      const out: Captured[] = [];
      blocks.forEach((b, i) => {
        for (const line of b.split("\n").slice(0, -1)) out.push(...p.line(line, `t${i}`));
        out.push(...p.flush());
      });
      out.push(...p.end());
      return out;
    }
    function inBlocks(blocks: string[]): Captured[] {
      const p = new TextParser("stdout");
      const out: Captured[] = [];
      blocks.forEach((b, i) => {
        p.lines(b, `t${i}`, out);
        out.push(...p.flush());
      });
      out.push(...p.end());
      return out;
    }

    it("finds exactly what line() finds on each line, split into blocks anywhere", () => {
      fc.assert(
        fc.property(text, fc.array(fc.nat(), { maxLength: 4 }), (t, cuts) => {
          // Cut the text into blocks at line ends, as chunks of output would arrive.
          const lines = `${t}\n`.split(/(?<=\n)/);
          const blocks: string[] = [];
          let start = 0;
          for (const c of [...cuts.map((c) => c % (lines.length + 1)).sort((a, b) => a - b), lines.length]) {
            if (c > start) blocks.push(lines.slice(start, c).join(""));
            start = Math.max(start, c);
          }
          expect(inBlocks(blocks)).toEqual(perLine(blocks));
        }),
        { numRuns: 300 },
      );
    });

    it("splits long output into events at the same lines as line() does", () => {
      const block = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"y".repeat(i % 97)}\n`).join("");
      const events = inBlocks([block]);
      expect(events).toEqual(perLine([block]));
      expect(events.length).toBeGreaterThan(3);
      expect(events.map((e) => (e.data as { output: string }).output).join("\n")).toBe(block.slice(0, -1));
    });
  });
});
