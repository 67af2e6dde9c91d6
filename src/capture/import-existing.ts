import { existsSync, statSync } from "node:fs";
import type { Usage } from "../schema/index.js";
import { sessionFile } from "../store/paths.js";
import type { LogWriter } from "../store/writer.js";
import { addUsage, type Captured, type SourceFormat } from "./adapter.js";
import { eachLine } from "./file-lines.js";
import { withFingerprint } from "./recorder.js";

/**
 * What an attempt already holds, so an import adds only what is new: read back from its session
 * file, or known from the last import of the same file when nothing else wrote to it since; and
 * the rules by which a second source of a session (its stream after its session file, or the
 * other way round) adds only what it alone has.
 */

/** What record() needs to know of an attempt only this file wrote to. */
export interface KnownAttempt {
  id: string;
  /** Its session file's size after the import. */
  size: number;
  /** The source formats recorded in it (a merged attempt is read back in full). */
  formats: string[];
  endTotalTokens?: number;
  usage?: Usage;
  toolCalls: number;
  errors: number;
  /** Keys of the events the parser flushed at the end: the restored parser gives them again. */
  heldKeys: string[];
}

/**
 * The attempt as the file's last import left it, when nothing wrote to it since (its session
 * file has the size it had then) and only this format did: then it need not be read back. The
 * only events the resumed parser can give again are those it held (their keys).
 */
export function knownExisting(writer: LogWriter, known: KnownAttempt, attemptId: string, format: SourceFormat): Existing | undefined {
  if (known.id !== attemptId || known.formats.length !== 1 || known.formats[0] !== format || sizeOf(sessionFile(writer.paths, attemptId)) !== known.size) return undefined;
  return {
    started: true,
    ended: true,
    endTotalTokens: known.endTotalTokens,
    usage: known.usage,
    toolCalls: known.toolCalls,
    errors: known.errors,
    keys: new Set(known.heldKeys),
    formats: new Set([format]),
    failedCalls: new Set(),
    failures: new Map(),
    addedFailures: new Map(),
    addedFormats: new Set(),
  };
}

export function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

export interface Existing {
  started: boolean;
  ended: boolean;
  /** `session_end.data.total_tokens` as recorded. */
  endTotalTokens?: number;
  /** The sum of the recorded events' `data.usage`, and their tool calls and errors. */
  usage: Usage | undefined;
  toolCalls: number;
  errors: number;
  keys: Set<string>;
  /** The format the attempt was started from (its session_start's `import_format`). */
  formats: Set<string>;
  failedCalls: Set<string>;
  /** Messages of the errors already recorded, by fingerprint: a second source whose call ids differ (Codex's stream says `item_3`, its session file `call_…`), or that has no call id, matches them by what failed. */
  failures: Map<string, string[]>;
  /** The same, of the errors a second format added (marked with its `import_format`). */
  addedFailures: Map<string, string[]>;
  /** Formats that added events to an attempt started from another. */
  addedFormats: Set<string>;
}

/**
 * What an attempt already holds: read from its session file, the truth, not from a side index.
 * Lines this store wrote: parsed, not validated again (a line that is not an event is passed over).
 */
export function existingAttempt(writer: LogWriter, attemptId: string): Existing {
  const e: Existing = { started: false, ended: false, keys: new Set(), formats: new Set(), failedCalls: new Set(), failures: new Map(), addedFailures: new Map(), addedFormats: new Set(), usage: undefined, toolCalls: 0, errors: 0 };
  const path = sessionFile(writer.paths, attemptId);
  if (!existsSync(path)) return e;
  writer.releaseLocks(); // what this process wrote is on disk before it is read back
  eachLine(path, 0, (line) => {
    let ev: { event_type?: unknown; data?: unknown };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      return;
    }
    if (typeof ev !== "object" || ev === null || typeof ev.event_type !== "string" || typeof ev.data !== "object" || ev.data === null) return;
    const d = ev.data as { record_id?: string; import_format?: string; tool_call_id?: string; result?: string; total_tokens?: number; usage?: Usage; error_fingerprint?: string; error_message?: string };
    if (ev.event_type === "session_start") {
      e.started = true;
      if (d.import_format) e.formats.add(d.import_format);
    }
    if (ev.event_type === "session_end") {
      e.ended = true;
      e.endTotalTokens = d.total_tokens;
    }
    if (typeof d.record_id === "string") e.keys.add(d.record_id);
    if (ev.event_type !== "session_end") e.usage = addUsage(e.usage, d.usage);
    if (ev.event_type === "tool_call") e.toolCalls++;
    if (ev.event_type === "error") e.errors++;
    if ((ev.event_type === "error" || d.result === "error") && d.tool_call_id) e.failedCalls.add(d.tool_call_id);
    const added = ev.event_type !== "session_start" && typeof d.import_format === "string";
    if (added) e.addedFormats.add(d.import_format as string);
    if (ev.event_type === "error" && d.error_fingerprint) {
      for (const m of added ? [e.failures, e.addedFailures] : [e.failures]) m.set(d.error_fingerprint, [...(m.get(d.error_fingerprint) ?? []), d.error_message ?? ""]);
    }
  });
  return e;
}

/**
 * Of a second source's errors, the failures the first source did not record: tool failures
 * (Gemini CLI's stream reports a failed shell command as a success; only its session file
 * knows), retries only the stream prints, an agent error only the session file holds. An
 * error the attempt has already, under the same call id, with the same message, or else as
 * one more error of the same fingerprint (the sources word it differently: Gemini's "Loop
 * detected" and "Potential loop detected"), is the same failure again.
 */
export function newFailures(events: readonly Captured[], eligible: (c: Captured) => boolean, existing: Existing, recorded = existing.failures): Set<Captured> {
  const left = new Map([...recorded].map(([fp, messages]) => [fp, [...messages]]));
  const take = (fp: string, message: string | undefined): boolean => {
    const messages = left.get(fp);
    const i = message === undefined ? (messages?.length ?? 0) - 1 : (messages?.indexOf(message) ?? -1);
    if (i < 0) return false;
    messages?.splice(i, 1);
    return true;
  };
  const errors: { c: Captured & { event_type: "error" }; fp: string }[] = [];
  for (const c of events) if (c.event_type === "error") errors.push({ c, fp: withFingerprint(c.data).error_fingerprint ?? "" });
  // The same record in both sources (the same key) is its own match, whatever its wording now.
  const rest = errors.filter(({ c, fp }) => !(c.key !== undefined && existing.keys.has(c.key) && (take(fp, c.data.error_message) || take(fp, undefined))));
  const candidates = rest.filter(({ c }) => eligible(c) && !(c.data.tool_call_id !== undefined && existing.failedCalls.has(c.data.tool_call_id)));
  const byFingerprint = candidates.filter(({ c, fp }) => !take(fp, c.data.error_message));
  return new Set(byFingerprint.filter(({ fp }) => !take(fp, undefined)).map(({ c }) => c));
}
