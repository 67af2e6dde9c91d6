/**
 * Error template normalization: turns one error message into the short, stable line that
 * unknown failures are grouped by, so two runs of the same failure share a template while
 * different failures do not.
 *
 * Placeholders (typed, so a template still reads as a sentence):
 *   <url> <email> <ts> (timestamps, dates, clock times) <uuid> <path> (absolute/relative,
 *   unix/Windows, with :line:col) <ip> (IPv4/IPv6, with port) <str> (quoted values)
 *   <hex> (hashes, SHAs, addresses) <id> (request/tool ids and other long alphanumeric
 *   tokens) <secret> (keys the tools printed half-masked) <dur> (durations) <size>
 *   (memory/disk sizes) <num> (numbers, versions, PIDs, ports, line numbers)
 *
 * Changing any mask changes existing templates and splits clusters already on disk;
 * fingerprint.test.ts pins a few `tmpl_` values so that cannot happen silently.
 */

/** The rules and the template only ever look at this much of a message: bounded work per event. */
export const HEAD_CHARS = 4096;
/** Test and build runners print their verdict last, so the end of a long output is kept too. */
export const TAIL_CHARS = 2048;
/** Longest template kept; long enough to tell failures apart, short enough for reports. */
export const TEMPLATE_MAX = 240;
/** Longest single line fed to the masking regexes. */
const LINE_MAX = 1000;

export interface PreparedMessage {
  /** The meaningful line(s) of the message, cleaned but not masked. */
  readonly headline: string;
  /** The bounded message without stack frames: what the rules are matched against. */
  readonly scan: string;
}

const ANSI =
  // CSI and OSC sequences plus two-character escapes: colours must not change a template.
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]/g;
// Templates are written to JSONL and hashed as UTF-8: a lone surrogate must not reach them.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function bounded(message: string): string {
  if (message.length <= HEAD_CHARS + TAIL_CHARS) return message;
  return message.slice(0, HEAD_CHARS) + "\n" + message.slice(-TAIL_CHARS);
}

function clean(text: string): string {
  let t = text;
  if (t.includes("\x1b")) t = t.replace(ANSI, "");
  if (t.includes("\r")) t = t.replace(/\r\n?/g, "\n");
  return t.replace(CONTROL, " ").replace(LONE_SURROGATE, "\ufffd").replace(/\t/g, "  ");
}

/** Stack frames of Node, Bun, Java, Python, Go, Rust and V8 native stacks. */
const FRAME =
  /^(?:at\s.*(?:\)|:\d+|\])$|\d+:\s+(?:0x)?[0-9a-fA-F]{6,}\b|goroutine \d+ \[|\S+\.go:\d+(?: \+0x[0-9a-f]+)?$|\.\.\. \d+ more$|\(Use `node --trace-warnings)/;
const PY_FRAME = /^File "[^"\n]*", line \d+/;
const CARET = /^[\^~]+$/;
const TRACEBACK = "Traceback (most recent call last):";

/** Wrapper lines the agents and tools add around the real error text. */
const BOILERPLATE = new RegExp(
  [
    String.raw`^(?:Error: )?Exit code:? -?\d+$`,
    "^Process (?:exited with code|running with session ID)",
    "^(?:Chunk ID|Wall time|Original token count|Total output lines|Process Group PGID|Background PIDs|Signal|Directory|Command|Exit Code):",
    String.raw`^Error: \(none\)$`,
    String.raw`^>\s`,
    "^Require stack:$",
    String.raw`^- \S`,
    String.raw`^\[STARTUP\]`,
    "^YOLO mode is enabled",
    "^Ripgrep is not available",
    "^Warning: 256-color support",
    "^Reading (?:additional )?(?:input|prompt) from stdin",
    String.raw`^npm (?:ERR!|error)\s*$`,
    String.raw`^npm (?:ERR!|error) (?:A complete log of this run|\s*\S+-debug(?:-\d+)?\.log$|Please include the following|If you need help)`,
    String.raw`^[-=_~*#^|.+:⎯─━│┃<>\s]+$`,
    "^<---.*--->$",
    String.raw`^[{}[\]]+,?$`,
  ].join("|"),
  "i",
);

/** Words that make a line look like the error itself rather than context around it. */
const ERRORISH =
  /error|ERR!|fatal|fail|exception|panic|fault|denied|refused|cannot|can't|could not|couldn't|unable|invalid|not found|no such|not recognized|timed out|timeout|killed|abort|rejected|unexpected|conflict|overload|exceed|exhausted|unauthori[sz]ed|forbidden|missing|too (?:long|many|large)|not allowed|not permitted|does not exist|does not appear/i;
/** Warnings and hints: used only when nothing looks more like an error. */
const WEAK =
  /^(?:warn(?:ing)?\b|npm warn|hint:|deprecat|\(node:\d+\) (?:\[\w+\] )?\w*Warning)|^\S*Warning:|\bDEPRECATED\b/i;

const LEADING_GLYPHS = /^(?:[⎿✕✖✗✘■⏺●•❯›│┃▶►→⚠❌]\uFE0F?\s*)+/u;
const WRAPPER_TAGS = /<\/?(?:tool_use_error|untrusted_context|system-reminder|error|stdout|stderr)>/g;

function tidy(line: string): string {
  let t = line.trim();
  if (t === "") return t;
  if (t.includes("<")) t = t.replace(WRAPPER_TAGS, " ").trim();
  t = t.replace(LEADING_GLYPHS, "");
  if (t.startsWith("Output: ")) t = t.slice(8).trimStart();
  if (t.startsWith("Uncaught ")) t = t.slice(9);
  return t.length > LINE_MAX ? t.slice(0, LINE_MAX) : t;
}

interface Line {
  readonly text: string;
  readonly indented: boolean;
}

/**
 * Splits a message into its meaningful headline and the frame-free text the rules scan.
 * Frames never reach either, so the same failure raised from two call sites or two
 * checkouts keeps its fingerprint.
 */
export function prepareMessage(message: string): PreparedMessage {
  const rawLines = clean(bounded(message)).split("\n");
  const lines: Line[] = [];
  let tracebackAt = -1;
  let afterPyFrame = false;
  // Whether the previous non-blank line was kept: only that line can be a caret's source line.
  let previousKept = false;
  for (const raw of rawLines) {
    const indented = raw.length > 0 && (raw.charCodeAt(0) === 32 || raw.charCodeAt(0) === 9);
    const trimmed = raw.trim();
    if (trimmed === "") {
      afterPyFrame = false;
      continue;
    }
    // Python prints the source line under each frame; it is code, not the error.
    if (afterPyFrame && indented) {
      afterPyFrame = false;
      previousKept = false;
      continue;
    }
    afterPyFrame = false;
    const wasKept = previousKept;
    previousKept = false;
    if (PY_FRAME.test(trimmed)) {
      afterPyFrame = true;
      continue;
    }
    if (CARET.test(trimmed)) {
      // The line above a caret is the source code it points into, not the error.
      if (lines.length > 0 && lines.length - 1 !== tracebackAt && wasKept) lines.pop();
      continue;
    }
    if (FRAME.test(trimmed)) continue;
    const text = tidy(trimmed);
    if (text === "") continue;
    if (text === TRACEBACK) tracebackAt = lines.length;
    lines.push({ text, indented });
    previousKept = true;
  }
  const scan = lines.map((l) => l.text).join("\n");
  return { headline: pickHeadline(lines, tracebackAt), scan };
}

function pickHeadline(lines: readonly Line[], tracebackAt: number): string {
  let idx = -1;
  if (tracebackAt >= 0) {
    // The exception line is the first unindented line after the last traceback header.
    for (let i = tracebackAt + 1; i < lines.length; i++) {
      const l = lines[i]!;
      if (!l.indented && l.text !== TRACEBACK) {
        idx = i;
        break;
      }
    }
  }
  if (idx < 0) {
    let first = -1;
    let weak = -1;
    for (let i = 0; i < lines.length; i++) {
      const t = lines[i]!.text;
      if (BOILERPLATE.test(t)) continue;
      if (first < 0) first = i;
      if (ERRORISH.test(t)) {
        if (!WEAK.test(t)) {
          idx = i;
          break;
        }
        if (weak < 0) weak = i;
      }
    }
    if (idx < 0) idx = weak >= 0 ? weak : first;
  }
  if (idx < 0) return lines[0]?.text ?? "";
  let headline = lines[idx]!.text;
  if (headline.includes("{") && nesting(headline) > 0) return joinNested(lines, idx, headline);
  // "thread 'main' panicked at src/x.rs:4:5:" and webpack's "ERROR in ./src/x.js" put the
  // message on the next line.
  if (headline.endsWith(":") || /^ERROR in \S+$/.test(headline)) {
    for (let j = idx + 1; j < lines.length; j++) {
      const t = lines[j]!.text;
      if (BOILERPLATE.test(t)) continue;
      headline = `${headline} ${t}`;
      break;
    }
  }
  return headline;
}

function nesting(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return depth;
}

/** Pretty-printed JSON errors open on the headline and carry their message a few lines below. */
function joinNested(lines: readonly Line[], idx: number, headline: string): string {
  let out = headline;
  let depth = nesting(headline);
  for (let j = idx + 1; j < lines.length && j <= idx + 60 && out.length < 2000 && depth > 0; j++) {
    const t = lines[j]!.text;
    out = `${out} ${t}`;
    depth += nesting(t);
  }
  return out;
}

/**
 * API errors arrive as JSON (often JSON inside a JSON string); masking every quoted value
 * would collapse all of them into one template, so the error type and message are lifted out.
 */
function condenseJson(line: string): string {
  const brace = line.indexOf("{");
  if (brace < 0 || !line.includes("message")) return line;
  const body = line.includes('\\"') ? line.replace(/\\+"/g, '"').replace(/\\+n/g, " ") : line;
  let message: string | undefined;
  // Same quote on both sides, so "account's" does not end a double-quoted message.
  const messages = /(["'])message\1\s*:\s*(["'])((?:(?!\2)[^\n\\]){1,400})\2/g;
  for (let m = messages.exec(body), n = 0; m !== null && n < 8; m = messages.exec(body), n++) {
    const value = m[3]!.trim();
    if (value !== "" && value[0] !== "{" && value[0] !== "[") {
      message = value;
      break;
    }
  }
  if (message === undefined) return line;
  let kind: string | undefined;
  const types = /["']type["']\s*:\s*["'](\w{1,60})["']/g;
  for (let m = types.exec(body), n = 0; m !== null && n < 8; m = types.exec(body), n++) {
    const value = m[1]!;
    if (value !== "error" && /error$/i.test(value)) {
      kind = value;
      break;
    }
  }
  kind ??= /["']status["']\s*:\s*["']([A-Z][A-Z_]{2,40})["']/.exec(body)?.[1];
  const prefix = line
    .slice(0, brace)
    .replace(/[\s[(:]+$/, "")
    .trim();
  return [prefix, kind ? `${kind}:` : "", message].filter((s) => s !== "").join(" ");
}

const RE_URL = /\b[a-z][a-z0-9+.-]{0,20}:\/\/[^\s"'`<>()[\]{}]+/gi;
const RE_EMAIL = /(?<![\w.+-])[\w.+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24}\b/gi;
const RE_ISO_TS =
  /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}[:_-]\d{2}(?:[:_-]\d{2}(?:[.,_]\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g;
const RE_MONTH_DATE =
  /\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.? \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?\b/g;
const RE_UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
// Token-start lookbehinds keep these linear: a match can only begin where a token begins.
const RE_PATH =
  /(?<![\w.@+~%$:\\/-])(?:[A-Za-z]:|~|\.{1,2})?(?:[\\/][\w.@+~%$-]+)+[\\/]?(?::\d+){0,2}|(?<![\w.@+~%$\\/-])[\w.@+~%$-]+(?:[\\/][\w.@+~%$-]+)+[\\/]?(?::\d+){0,2}/g;
const RE_IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g;
const RE_IPV6 = /\[[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\](?::\d{1,5})?/gi;
// A bare file name with its position ("lib.rs:12:5", "main.c:30"); host:port is not one.
const RE_FILE_POS =
  /(?<![\w.@+~%$\\/-])[\w.-]{0,200}\w\.(?:[A-Za-z]\w{0,9}(?::\d+){2}|(?:c|h|cc|cpp|hpp|rs|go|py|pyi|js|mjs|cjs|ts|tsx|jsx|mts|cts|java|kt|rb|php|cs|swift|scala|sh|json|ya?ml|toml|md|vue|svelte|css|scss|html?|sql|ex|exs|lua|dart|zig|txt|xml|gradle)(?::\d+))(?!\w)/g;
const RE_CLOCK = /(?<![\w:.])\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?!\d)(?:\s?[AaPp][Mm]\b)?/g;
// Keys the tools already masked ("sk-abc***xyz") still differ per key: one placeholder for all.
const RE_MASKED_SECRET = /[\w-]{1,100}\*{3,}[\w-]{0,100}|\*{3,}[\w-]{1,100}/g;
const RE_QUOTED =
  /(?<![\w\\])'[^'\n]{0,200}'(?!\w)|"(?:[^"\\\n]|\\.){0,200}"|`[^`\n]{0,200}`|‘[^’\n]{0,200}’|“[^”\n]{0,200}”/g;
const RE_HEX = /\b(?:0x[0-9a-f]+|[0-9a-f]{7,})\b/gi;
// Greedy from the left, so a match is always a whole run of token characters.
const RE_TOKEN = /[A-Za-z0-9_-]{10,}/g;
const RE_VERSION = /\bv\d+(?:\.\d+)+\b/g;
/** A number with an optional unit: one pass decides between <num>, <dur> and <size>. */
const RE_QUANTITY =
  /(?<!\w)(?<!\d\.)[-+]?\d+(?:[.,]\d+)*(\s?(?:ms|µs|us|ns|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|[KkMGTP]i?B|bytes?))?(?!\w)/gi;
const SIZE_UNIT = /^\s?(?:[KkMGTP]i?B|bytes?)$/;
const DURATION_UNIT = /^\s?(?:ms|µs|us|ns|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)$/i;
const RE_PATH_RUN = /<path>(?:[ ,]+<path>)+/g;

function maskPath(token: string): string {
  const trail = /[.,;]+$/.exec(token)?.[0] ?? "";
  const bare = token.slice(0, token.length - trail.length).replace(/(?::\d+)+$/, "");
  if (!/[A-Za-z]/.test(bare)) return token;
  const rooted = /^(?:[A-Za-z]:|~|\.{1,2})?[\\/]/.test(bare);
  if (rooted) return `<path>${trail}`;
  const segments = bare.split(/[\\/]/).filter((s) => s !== "");
  const last = segments[segments.length - 1] ?? "";
  // Relative paths must look like paths ("a/b" could be "and/or" or "TCP/IP").
  if (segments.length >= 3 || /\.[A-Za-z]\w{0,9}$/.test(last) || /[_.-]/.test(segments.join(""))) {
    return `<path>${trail}`;
  }
  return token;
}

function maskHex(token: string): string {
  if (token[1] === "x" || token[1] === "X") return "<hex>";
  return /\d/.test(token) && /[a-f]/i.test(token) ? "<hex>" : token;
}

function maskQuantity(_match: string, unit: string | undefined): string {
  if (unit === undefined) return "<num>";
  if (SIZE_UNIT.test(unit)) return "<size>";
  return DURATION_UNIT.test(unit) ? "<dur>" : `<num>${unit}`;
}

function maskToken(token: string): string {
  return /\d/.test(token) && /[A-Za-z]/.test(token) ? "<id>" : token;
}

/** Masks the variable parts of one line. Exported for tests and for callers with a single line. */
export function normalizeLine(line: string): string {
  let t = condenseJson(line.length > LINE_MAX ? line.slice(0, LINE_MAX) : line);
  // Each mask runs only when the characters it needs are present: this runs on every event.
  const digits = /\d/.test(t);
  if (t.includes("://")) t = t.replace(RE_URL, "<url>");
  if (t.includes("@")) t = t.replace(RE_EMAIL, "<email>");
  if (digits) {
    if (t.includes("-")) t = t.replace(RE_ISO_TS, "<ts>").replace(RE_UUID, "<uuid>");
    t = t.replace(RE_MONTH_DATE, "<ts>");
  }
  if (t.includes("/") || t.includes("\\")) t = t.replace(RE_PATH, maskPath);
  if (digits && t.includes(":")) t = t.replace(RE_FILE_POS, "<path>");
  if (t.includes("***")) t = t.replace(RE_MASKED_SECRET, "<secret>");
  if (digits) {
    if (t.includes(".")) t = t.replace(RE_IPV4, "<ip>");
    if (t.includes("[")) t = t.replace(RE_IPV6, "<ip>");
    if (t.includes(":")) t = t.replace(RE_CLOCK, "<ts>");
  }
  if (/['"`‘“]/.test(t)) t = t.replace(RE_QUOTED, "<str>");
  if (digits) {
    t = t.replace(RE_HEX, maskHex).replace(RE_TOKEN, maskToken);
    if (t.includes("v")) t = t.replace(RE_VERSION, "<num>");
    t = t.replace(RE_QUANTITY, maskQuantity);
  }
  // Only runs of spaces and other whitespace are rewritten: most lines have none.
  t = t.replace(/ {2,}|[^\S ]+/g, " ").trim();
  if (t.includes("<path> ") || t.includes("<path>,")) t = t.replace(RE_PATH_RUN, "<path>");
  if (t.length > TEMPLATE_MAX) {
    let cut = TEMPLATE_MAX;
    const code = t.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    t = t.slice(0, cut);
  }
  return t;
}

/** The normalized template of a message: its meaningful line(s), masked. Never throws. */
export function errorTemplate(message: string): string {
  try {
    return normalizeLine(prepareMessage(typeof message === "string" ? message : String(message ?? "")).headline);
  } catch {
    return "";
  }
}
