import type { Adapter, AgentId, SourceFormat } from "./adapter.js";
import { claudeAdapter } from "./claude/index.js";
import { codexAdapter } from "./codex/index.js";
import { geminiAdapter } from "./gemini/index.js";
import { textAdapter } from "./text/index.js";

/** The structured adapters, asked in turn; anything they do not recognise is text. */
export const ADAPTERS: readonly Adapter[] = [claudeAdapter, codexAdapter, geminiAdapter];

export function adapterFor(id: AgentId): Adapter {
  if (id === "text") return textAdapter;
  const a = ADAPTERS.find((x) => x.id === id);
  if (!a) throw new Error(`no adapter for ${id}`);
  return a;
}

/** Which agent and format a first line of output or of a file belongs to. */
export function detectLine(line: string): { adapter: Adapter; format: SourceFormat } | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  for (const adapter of ADAPTERS) {
    const format = adapter.detect(text);
    if (format) return { adapter, format };
  }
  return undefined;
}

/** Which adapter reads a whole-document file (a JSON value rather than JSON lines). */
export function detectDocument(value: unknown): Adapter | undefined {
  return ADAPTERS.find((a) => a.detectDocument?.(value));
}
