import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ERROR_CATEGORIES } from "../schema/vocabulary.js";
import { CORPUS, DIFFERENT_FAILURE_PAIRS, SAME_FAILURE_PAIRS } from "./corpus.js";
import { firstMatchingRule, fingerprint, requiredLiterals, templateFingerprint } from "./fingerprint.js";
import { RULES } from "./rules.js";
import { errorTemplate, normalizeLine, prepareMessage, TEMPLATE_MAX } from "./template.js";

const NAME = /^[a-z][a-z0-9_]*$/;
const TEMPLATE_ID = /^tmpl_[0-9a-f]{12}$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function expectWellFormed(r: ReturnType<typeof fingerprint>): void {
  expect(ERROR_CATEGORIES).toContain(r.category);
  expect(r.fingerprint).toMatch(r.known ? NAME : TEMPLATE_ID);
  expect(r.template.length).toBeLessThanOrEqual(TEMPLATE_MAX);
  expect(LONE_SURROGATE.test(r.template)).toBe(false);
}

describe("the corpus of real error messages", () => {
  it("holds at least 60 messages, each citing a public source", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
    for (const entry of CORPUS) {
      expect(entry.source).toMatch(/^(?:shared\/(?:fixtures\/(?:real|public)|formats)\/\S+|[\w.-]+\/[\w.-]+#\d+)/);
      expect(entry.fingerprint === undefined).not.toBe(entry.category === undefined);
    }
  });

  it.each(CORPUS)("$source: $fingerprint$category", (entry) => {
    const r = fingerprint(entry.message, entry.stackTrace === undefined ? undefined : { stackTrace: entry.stackTrace });
    expectWellFormed(r);
    if (entry.fingerprint !== undefined) {
      expect(r).toMatchObject({ fingerprint: entry.fingerprint, known: true });
      const rule = RULES.find((x) => entry.fingerprint === x.id || entry.fingerprint?.startsWith(`${x.id}_`));
      expect(r.category).toBe(rule?.category);
    } else {
      expect(r).toMatchObject({ category: entry.category, known: false });
      expect(r.fingerprint).toBe(templateFingerprint(r.template));
    }
    expect(r.template).not.toBe("");
    expect(errorTemplate(entry.message)).toBe(entry.stackTrace === undefined ? r.template : errorTemplate(entry.message));
  });
});

describe("the same failure from two runs shares a fingerprint", () => {
  it.each(SAME_FAILURE_PAIRS)("$sources", (pair) => {
    const a = fingerprint(pair.a, pair.aStackTrace === undefined ? undefined : { stackTrace: pair.aStackTrace });
    const b = fingerprint(pair.b, pair.bStackTrace === undefined ? undefined : { stackTrace: pair.bStackTrace });
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.category).toBe(a.category);
  });

  // Variations of one unknown failure that differ only in what the template masks: the
  // template (not a named rule) must keep them together.
  const variations: [string, string, string][] = [
    ["absolute paths", "EISDIR: illegal operation on a directory, read /home/alice/app/dist", "EISDIR: illegal operation on a directory, read /Users/bob/src/app/dist"],
    ["Windows paths", "could not lock C:\\Users\\ryyan\\work\\app.db for writing", "could not lock D:\\ci\\runner\\_work\\app.db for writing"],
    ["temp dirs", "artifact missing in /tmp/pytest-of-mizubuntu/pytest-75/test_x0/out", "artifact missing in /tmp/pytest-of-ci/pytest-3/test_x0/out"],
    ["line and column", "lint crashed while visiting ./src/cli/run.ts:12:5", "lint crashed while visiting ./src/cli/run.ts:310:27"],
    ["timestamps", "[2026-11-24T21:03:17.624Z] worker lost its lease", "[2026-11-25T08:00:01Z] worker lost its lease"],
    ["uuids", "session 01a20f5e-d99c-7b52-b77b-2dc608d7b6c6 lost its lease", "session c7725129-9770-497a-9f3e-5df7fbe1f28f lost its lease"],
    ["request ids", "upstream closed request req_011CXxg3eqF8ZMvqtkKHNjKQ early", "upstream closed request req_011CZTEFvft13DajMTp9pp64 early"],
    ["hashes", "fatal: bad object 3875997e1f0a2b4c5d6e7f8091a2b3c4d5e6f708", "fatal: bad object 9fb0b506e80d35c9aa01bb02cc03dd04ee05ff06"],
    ["durations", "worker stalled for 1316ms before giving up", "worker stalled for 2.91s before giving up"],
    ["sizes", "bundle grew to 806.5KB over budget", "bundle grew to 12 MB over budget"],
    ["PIDs", "(node:36706) watcher exited unexpectedly", "(node:15998) watcher exited unexpectedly"],
    ["ports", "gateway 127.0.0.1:42485 answered garbage", "gateway 127.0.0.1:42449 answered garbage"],
    ["quoted values", "unknown option 'frobnicate' in section \"build\"", "unknown option 'verbose' in section \"test\""],
    ["urls", "webhook https://hooks.example.com/a/1 answered garbage", "webhook https://hooks.example.org/b/2?x=1 answered garbage"],
    ["emails", "mailbox alice@example.com refused the report", "mailbox bob.smith@corp.example.org refused the report"],
    ["ANSI colours", "\x1b[31mworker lost its lease\x1b[39m", "worker lost its lease"],
    ["stack frames", "worker lost its lease\n    at renew (/app/a.js:1:2)", "worker lost its lease\n    at tick (/srv/b.js:9:9)\n    at run (/srv/c.js:3:4)"],
    ["whitespace", "worker   lost\tits lease  ", "worker lost its lease"],
  ];
  it.each(variations)("differing only in %s", (_label, a, b) => {
    const ra = fingerprint(a);
    const rb = fingerprint(b);
    expect(ra.known).toBe(false);
    expect(rb.template).toBe(ra.template);
    expect(rb.fingerprint).toBe(ra.fingerprint);
  });

  it("uses the stack trace's exception type whatever the frames", () => {
    const a = fingerprint("Cannot read properties of undefined (reading 'id')", {
      stackTrace: "TypeError: Cannot read properties of undefined (reading 'id')\n    at a (/x/a.js:1:1)",
    });
    const b = fingerprint("Cannot read properties of undefined (reading 'name')", {
      stackTrace: "TypeError: Cannot read properties of undefined (reading 'name')\n    at b (/y/b.js:2:2)\n    at c (/y/c.js:3:3)",
    });
    expect(a).toMatchObject({ category: "runtime", known: false });
    expect(a.template).toBe("TypeError: Cannot read properties of undefined (reading <str>)");
    expect(b.fingerprint).toBe(a.fingerprint);
  });
});

describe("different failures do not share a fingerprint", () => {
  it.each(DIFFERENT_FAILURE_PAIRS)("$sources", (pair) => {
    expect(fingerprint(pair.b).fingerprint).not.toBe(fingerprint(pair.a).fingerprint);
  });

  it.each([
    ["KeyError: 'user'", "ValueError: 'user'"],
    ["TypeError: x is not a function", "TypeError: x is not iterable"],
    ["worker lost its lease", "worker lost its socket"],
    ["Error: ENOENT: no such file or directory, open 'a'", "Error: EACCES: permission denied, open 'a'"],
    ["Error: EACCES: permission denied, open 'a'", "Error: EPERM: operation not permitted, open 'a'"],
  ])("%s / %s", (a, b) => {
    expect(fingerprint(b).fingerprint).not.toBe(fingerprint(a).fingerprint);
  });

  it("keeps exception types apart when the message is the same", () => {
    const message = "Maximum call stack size exceeded";
    const range = fingerprint(message, { stackTrace: `RangeError: ${message}\n    at f (/a.js:1:1)` });
    const internal = fingerprint(message, { stackTrace: `InternalError: ${message}\n    at f (/a.js:1:1)` });
    expect(range.fingerprint).not.toBe(internal.fingerprint);
  });
});

describe("template normalization", () => {
  it.each([
    ["timestamps and clock times", "[2026-11-24T21:03:17.624Z] job failed at 11:42:09", "[<ts>] job failed at <ts>"],
    ["uuids", "session 01a20f5e-d99c-7b52-b77b-2dc608d7b6c6 lost", "session <uuid> lost"],
    ["hashes", "fatal: bad object 3875997e1f0a2b4c5d6e7f8091a2b3c4d5e6f708", "fatal: bad object <hex>"],
    ["unix paths", "cannot open /home/dev/realclients/runs/claude/x.log now", "cannot open <path> now"],
    ["Windows paths", "cannot open C:\\Users\\ryyan\\package.json now", "cannot open <path> now"],
    ["relative paths with position", "cannot parse ./src/index.ts:12:5 now", "cannot parse <path> now"],
    ["file names with position", "main.c:30:10: fatal error: boom", "<path>: fatal error: boom"],
    ["urls", "GET https://registry.npmjs.org/rx/-/rx-4.1.0.tgz failed", "GET <url> failed"],
    ["emails", "user alice@example.com not allowed", "user <email> not allowed"],
    ["ip and port", "connect to 127.0.0.1:42485 failed", "connect to <ip> failed"],
    ["quoted values", "bad 'a' and \"b\" and `c`", "bad <str> and <str> and <str>"],
    ["apostrophes are not quotes", "the user doesn't want it", "the user doesn't want it"],
    ["durations and sizes", "took 1316ms and 2.91s, heap 806.5KB", "took <dur> and <dur>, heap <size>"],
    ["PIDs", "(node:36706) Warning: boom", "(node:<num>) Warning: boom"],
    ["numbers and versions", "attempt 3 of 10 on v4.1.5", "attempt <num> of <num> on <num>"],
    ["half-masked keys", "Incorrect API key provided: sk-abc***xyz.", "Incorrect API key provided: <secret>."],
    ["error codes stay", "error TS2322 and E0308 and ENOENT", "error TS2322 and E0308 and ENOENT"],
    ["words with slashes stay", "and/or TCP/IP, retry 1/5", "and/or TCP/IP, retry <num>/<num>"],
  ])("masks %s", (_label, line, expected) => {
    expect(normalizeLine(line)).toBe(expected);
  });

  it("strips ANSI colours and control characters", () => {
    expect(errorTemplate("\x1b[1m\x1b[31mError:\x1b[39m\x1b[22m boom\x00!")).toBe("Error: boom !");
  });

  it("keeps only the meaningful line, never the frames", () => {
    expect(errorTemplate("Error: boom\n    at x (/a.js:1:2)\n    at y (/b.js:3:4)")).toBe("Error: boom");
    expect(errorTemplate("Exit code 2\nnpm WARN old lockfile\nError: boom")).toBe("Error: boom");
  });

  it("takes a Python traceback's exception line", () => {
    const tb = 'Traceback (most recent call last):\n  File "/a/b.py", line 3, in <module>\n    main()\nKeyError: \'user\'';
    expect(errorTemplate(tb)).toBe("KeyError: <str>");
  });

  it("lifts the message out of a JSON API error", () => {
    expect(errorTemplate('API Error: 400 {"type":"error","error":{"type":"invalid_request_error","message":"messages.1: bad"}}')).toBe(
      "API Error: <num> invalid_request_error: messages.<num>: bad",
    );
  });

  it("caps the length", () => {
    expect(errorTemplate(`Error: ${"word ".repeat(500)}`).length).toBeLessThanOrEqual(TEMPLATE_MAX);
  });

  it("is what fingerprint() reports", () => {
    for (const entry of CORPUS.slice(0, 20)) expect(fingerprint(entry.message).template).toBe(errorTemplate(entry.message));
  });
});

describe("the rule table", () => {
  it("has unique snake_case ids and categories from the taxonomy", () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(NAME);
      expect(ERROR_CATEGORIES).toContain(rule.category);
      // A global or sticky regex keeps state between calls and would skip matches.
      if (rule.match instanceof RegExp) expect(rule.match.flags).not.toMatch(/[gy]/);
    }
  });

  it("names the seed's known failures", () => {
    expect(fingerprint("fatal: not a git repository (or any of the parent directories): .git")).toMatchObject({ fingerprint: "git_not_repo", category: "git" });
    expect(fingerprint("error: failed to push some refs to 'github.com:a/b.git'")).toMatchObject({ fingerprint: "git_push_failed", category: "git" });
    expect(fingerprint("npm ERR! code ETIMEDOUT\nnpm ERR! network request to https://registry.npmjs.org/x failed")).toMatchObject({
      fingerprint: "npm_install_timeout",
      category: "dependency",
    });
  });

  it("reads the literals a regex needs", () => {
    expect(requiredLiterals(String.raw`foo|bar\d+bazz`)).toEqual(["foo", "bazz"]);
    expect(requiredLiterals(String.raw`\b(?:TypeError|RangeError)\b`)).toEqual(["typeerror", "rangeerror"]);
    expect(requiredLiterals("(?:ab)?x|y")).toBeUndefined();
    expect(requiredLiterals(String.raw`Tests?: \d+ failed`)).toEqual([" failed"]);
    // Escapes that stand for one character are not the letters they are spelled with.
    expect(requiredLiterals(String.raw`\x1bfoo|\u2028bar|\cJbaz`)).toEqual(["foo", "bar", "baz"]);
  });

  // The literal gate only skips regexes that cannot match; it must never change a result.
  const fragments = [
    ...new Set(RULES.flatMap((r) => (r.match instanceof RegExp ? (requiredLiterals(r.match.source) ?? []) : []))),
    "Error: ",
    " 401 ",
    "TS2322: ",
    "\n",
    "'x'",
    "429",
    "FAIL ",
    "sh: 1: ",
  ];
  it("skips rules with its literal gate exactly when they cannot match", () => {
    const texts = [...CORPUS.map((e) => e.message), ...CORPUS.map((e) => prepareMessage(e.message).scan)];
    for (const t of texts) expect(firstMatchingRule(t)?.rule.id).toBe(firstMatchingRule(t, false)?.rule.id);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 6 })), { maxLength: 12 }),
        fc.boolean(),
        (parts, upper) => {
          const text = upper ? parts.join("").toUpperCase() : parts.join("");
          expect(firstMatchingRule(text)?.rule.id).toBe(firstMatchingRule(text, false)?.rule.id);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("stability", () => {
  // These ids are stored in every error event and alert already on disk. If a change to the
  // normalization or the hash breaks one of them, existing clusters would split in two:
  // change the code, not these values (or migrate the stored data and say so).
  it.each([
    ["EISDIR: illegal operation on a directory, read", "tmpl_9cf2c24363f1"],
    ["Exit code 1\nxargs: command line cannot be assembled, too long", "tmpl_fb3c49e6924d"],
    ["TypeError: Cannot read properties of undefined (reading 'msg')\n    at f (/a.js:1:1)", "tmpl_2c62df9b01aa"],
    ["panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x98 pc=0xe1d30f]", "tmpl_a121ef10615b"],
    ["[2026-11-24T21:03:17.624Z] worker 4 lost lease 9fb0b506e80d35c9 after 1316ms on /srv/app/run.ts:12:5", "tmpl_f31e3c5a1515"],
    ["", "tmpl_e3b0c44298fc"],
  ])("%j → %s", (message, id) => {
    expect(fingerprint(message).fingerprint).toBe(id);
  });
});

describe("robustness", () => {
  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), fc.option(fc.string({ unit: "binary", maxLength: 400 })), (message, stack) => {
        expectWellFormed(fingerprint(message, stack === null ? undefined : { stackTrace: stack }));
      }),
      { numRuns: 2000 },
    );
    const tricky = ["\x1b[", "Traceback (most recent call last):\n", "    at x (", "{", "[", "'", '"', "`", "/", "\\", ":", "\r", "\ud800", "🎉", "0x", "-", "@", "***"];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...tricky), fc.string({ maxLength: 5 })), { maxLength: 40 }), (parts) => {
        expectWellFormed(fingerprint(parts.join("")));
      }),
      { numRuns: 2000 },
    );
  });

  it("tolerates values that are not strings", () => {
    expectWellFormed(fingerprint(undefined as unknown as string));
    expectWellFormed(fingerprint(42 as unknown as string, { stackTrace: null as unknown as string }));
  });

  it("returns quickly on megabyte inputs, whatever they repeat", () => {
    for (const unit of ["x", "/", "'", "{", "1", "a-", "\n", "at x (", "[::", "é", "a ", "\\"]) {
      const big = unit.repeat(Math.ceil((1 << 20) / unit.length));
      const started = performance.now();
      expectWellFormed(fingerprint(big, { stackTrace: big }));
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});
