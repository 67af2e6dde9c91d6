import { readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Adapter, AgentId, Captured, SessionFacts } from "./adapter.js";

/**
 * Where each agent keeps its own session files, and how to find the one of a session id:
 * Claude Code `~/.claude/projects/<cwd slug>/<session id>.jsonl`, Codex
 * `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl`, Gemini CLI
 * `~/.gemini/tmp/<project>/chats/session-<time>-<first 8 of the id>.jsonl`.
 */
export function sessionStoreRoots(agent: AgentId, env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  switch (agent) {
    case "claude":
      return [join(env.CLAUDE_CONFIG_DIR || join(home, ".claude"), "projects")];
    case "codex":
      return [join(env.CODEX_HOME || join(home, ".codex"), "sessions")];
    case "gemini":
      return [join(home, ".gemini", "tmp")];
    default:
      return [];
  }
}

export function findSessionFile(agent: AgentId, sessionId: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const wanted = (name: string) => {
    if (!name.endsWith(".jsonl") && !name.endsWith(".json")) return false;
    if (agent === "claude") return name === `${sessionId}.jsonl`;
    if (agent === "codex") return name.startsWith("rollout-") && name.includes(sessionId);
    return name.startsWith("session-") && name.includes(sessionId.slice(0, 8));
  };
  for (const root of sessionStoreRoots(agent, env)) {
    const found = walk(root, 5).filter((f) => wanted(f.slice(f.lastIndexOf("/") + 1)));
    // Newest first: Gemini names carry only 8 characters of the id.
    found.sort((a, b) => mtime(b) - mtime(a));
    for (const f of found) if (agent !== "gemini" || readFileSync(f, "utf8").slice(0, 300).includes(sessionId)) return f;
  }
  return undefined;
}

/** Parses an agent's session file whole; undefined when the adapter does not recognise it. */
export function readSessionFile(adapter: Adapter, path: string): { events: Captured[]; facts: SessionFacts } | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  const first = lines.find((l) => l.trim() !== "");
  if (!first) return undefined;
  const format = adapter.detect(first.trim());
  if (format !== "session") {
    if (!adapter.detectDocument || !adapter.parseDocument) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      return adapter.detectDocument(value) ? adapter.parseDocument(value) : undefined;
    } catch {
      return undefined;
    }
  }
  const parser = adapter.parser("session");
  const events: Captured[] = [];
  for (const line of lines) if (line) events.push(...parser.line(line));
  events.push(...parser.end());
  return { events, facts: parser.facts() };
}

function walk(dir: string, depth: number): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return depth > 0 ? walk(p, depth - 1) : [];
    return e.isFile() ? [p] : [];
  });
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
