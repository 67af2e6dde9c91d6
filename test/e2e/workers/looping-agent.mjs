// A fake coding agent that speaks Claude Code's stream-json (the line shapes of
// test/fixtures/real/claude/*.stdout.jsonl) and loops: it calls Bash with the same command
// every LOOP_EVERY_MS until its prompt (`-p <prompt>`) carries the recovery marker, then makes
// one normal call and exits 0.
//
//   node looping-agent.mjs -p "<prompt>" [--output-format stream-json --verbose]
//
// Environment:
//   LOOP_MODE       tool (default): identical successful calls; errors: identical failing calls
//                   until FIXED_FILE exists (what an autofix command creates)
//   LOOP_MARKER     the text that ends the loop (default "[awl recovery]"); "never": it never ends
//   LOOP_EVERY_MS   between calls (default 5)
//   FIXED_FILE      (errors mode) once this file exists the command succeeds and the agent exits 0
//   SIGNAL_LOG      on SIGTERM, append {"n": calls made, "loop_at": wall ms of the Nth call, "term_at": wall ms} and exit
//   LOOP_NTH        which call's time goes to SIGNAL_LOG as loop_at (the call that completes the loop)
//   IGNORE_TERM     1: ignore SIGTERM (awl must SIGKILL after its grace period)
import { appendFileSync, existsSync } from "node:fs";

const argv = process.argv.slice(2);
const pi = argv.indexOf("-p");
const prompt = pi >= 0 ? (argv[pi + 1] ?? "") : "";
const marker = process.env.LOOP_MARKER ?? "[awl recovery]";
const mode = process.env.LOOP_MODE ?? "tool";
const every = Number(process.env.LOOP_EVERY_MS ?? 5);
const nth = Number(process.env.LOOP_NTH ?? 10);
const sessionId = `fake-${process.pid}-${Date.now()}`;
const wall = () => performance.timeOrigin + performance.now();

let calls = 0;
let loopAt;
process.on("SIGTERM", () => {
  if (process.env.IGNORE_TERM === "1") return;
  if (process.env.SIGNAL_LOG) appendFileSync(process.env.SIGNAL_LOG, `${JSON.stringify({ n: calls, loop_at: loopAt, term_at: wall() })}\n`);
  process.exit(143);
});

const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const base = { parent_tool_use_id: null, session_id: sessionId };
out({ type: "system", subtype: "init", cwd: process.cwd(), session_id: sessionId, tools: ["Bash", "Read"], model: "claude-opus-4-8", permissionMode: "bypassPermissions", claude_code_version: "2.1.197" });

function call(command, failing) {
  calls++;
  const id = `toolu_${process.pid}_${calls}`;
  out({ type: "assistant", message: { id: `msg_${calls}`, type: "message", role: "assistant", model: "claude-opus-4-8", content: [{ type: "tool_use", id, name: "Bash", input: { command, description: `Run ${command}` } }], stop_reason: null, usage: { input_tokens: 100, output_tokens: 10 } }, ...base });
  if (calls === nth) loopAt = wall();
  const content = failing ? "Exit code 128\nfatal: 'origin' does not appear to be a git repository\nfatal: Could not read from remote repository." : "total 8\n-rw-r--r-- 1 dev dev 42 calc.py";
  out({ type: "user", message: { role: "user", content: [{ type: "tool_result", content, is_error: failing, tool_use_id: id }] }, ...base });
}

function finish() {
  out({ type: "assistant", message: { id: "msg_done", type: "message", role: "assistant", model: "claude-opus-4-8", content: [{ type: "text", text: "Done." }], stop_reason: "end_turn", usage: { input_tokens: 100, output_tokens: 5 } }, ...base });
  out({ type: "result", subtype: "success", is_error: false, duration_ms: 10, num_turns: calls, result: "Done.", session_id: sessionId, total_cost_usd: 0.001, usage: { input_tokens: 100, output_tokens: 5 } });
  process.exit(0);
}

if (marker !== "never" && prompt.includes(marker)) {
  call("cat calc.py", false);
  finish();
} else {
  const timer = setInterval(() => {
    if (mode === "errors") {
      if (process.env.FIXED_FILE && existsSync(process.env.FIXED_FILE)) {
        clearInterval(timer);
        call("git push origin HEAD", false);
        finish();
        return;
      }
      call("git push origin HEAD", true);
    } else {
      call("ls -la", false);
    }
  }, every);
}
