// A stand-in for Gemini CLI built from its real transcript (test/fixtures/real/gemini/error_loop):
// prints the stdout stream and writes the session file under $HOME/.gemini/tmp as the CLI does.
// Then it waits until awl has recorded a failed tool call that only the session file shows (the
// stream says "success"), which proves awl follows the file while the agent runs; it exits 0 then,
// or 3 if that never happens within 20 s.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const fixtures = process.argv[2];
const logStream = process.argv[3];
const stdout = readFileSync(join(fixtures, "error_loop.stdout.jsonl"), "utf8");
const session = readFileSync(join(fixtures, "error_loop.session.jsonl"), "utf8");
const sessionId = JSON.parse(session.split("\n")[0]).sessionId;
const chats = join(process.env.HOME, ".gemini", "tmp", "work", "chats");
mkdirSync(chats, { recursive: true });
const lines = stdout.trimEnd().split("\n");
const last = lines.pop();
process.stdout.write(`${lines.join("\n")}\n`);
writeFileSync(join(chats, `session-2026-11-24T21-08-${sessionId.slice(0, 8)}.jsonl`), session);
const start = Date.now();
const timer = setInterval(() => {
  const log = existsSync(logStream) ? readFileSync(logStream, "utf8") : "";
  const live = log.split("\n").some((l) => l.includes('"event_type":"error"') && l.includes('"error_source":"tool"'));
  if (live) {
    clearInterval(timer);
    process.stdout.write(`${last}\n`);
    process.exit(0);
  }
  if (Date.now() - start > 20_000) process.exit(3);
}, 20);
