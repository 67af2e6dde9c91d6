import { stripVTControlCharacters, styleText } from "node:util";
import type { AwlEvent } from "../schema/index.js";

type Style = Parameters<typeof styleText>[0];

export type Painter = (style: Style, text: string) => string;

/** Colours only on a terminal that wants them (styleText honours NO_COLOR and FORCE_COLOR). */
export function painter(stream: NodeJS.WritableStream & { isTTY?: boolean }): Painter {
  if (!stream.isTTY) return (_s, t) => t;
  return (s, t) => styleText(s, t, { stream: stream as NodeJS.WriteStream });
}

export function oneLine(text: string, max: number): string {
  const flat = stripVTControlCharacters(text).replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function compact(value: unknown, max: number): string {
  if (value === undefined) return "";
  return oneLine(typeof value === "string" ? value : JSON.stringify(value), max);
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** One readable line per event, as `awl tail` prints it. */
export function formatEvent(e: AwlEvent, paint: Painter, width = 160): string {
  const time = e.timestamp.slice(11, 23);
  const who = `${e.attempt_id}#${e.sequence_num}`;
  const room = Math.max(40, width - time.length - who.length - 16);
  let body: string;
  switch (e.event_type) {
    case "session_start":
      body = paint("green", `▶ start ${e.data.prompt_type ?? ""}`) + (e.data.prompt ? ` ${compact(e.data.prompt, room)}` : "");
      break;
    case "agent_output":
      body = (e.data.stream_type === "stderr" ? paint("yellow", "stderr ") : "") + compact(e.data.output, room);
      break;
    case "agent_thinking":
      body = paint("dim", `(thinking) ${compact(e.data.thinking, room)}`);
      break;
    case "tool_call":
      body = `${paint("cyan", `→ ${e.data.tool_name}`)} ${compact(e.data.tool_params, room)}`;
      break;
    case "tool_result": {
      const ok = e.data.result === "success";
      const took = e.data.duration_ms !== undefined ? ` ${formatDuration(e.data.duration_ms)}` : "";
      body = `${paint(ok ? "cyan" : "red", `← ${e.data.tool_name ?? "tool"} ${e.data.result}${took}`)} ${compact(e.data.result_data, room)}`;
      break;
    }
    case "error": {
      const tag = [e.data.error_fingerprint, e.data.error_category].filter(Boolean).join("/");
      body = paint("red", `✖ ${tag ? `[${tag}] ` : ""}${compact(e.data.error_message, room)}`);
      break;
    }
    case "session_end": {
      const d = e.data;
      const parts: string[] = [d.completion_status];
      if (d.duration_ms !== undefined) parts.push(formatDuration(d.duration_ms));
      if (d.total_tokens !== undefined) parts.push(`${d.total_tokens.toLocaleString("en-US")} tokens`);
      if (d.cost_usd !== undefined) parts.push(`$${d.cost_usd.toFixed(4)}${d.cost_estimated ? " (est.)" : ""}`);
      body = paint(d.completion_status === "success" ? "green" : "red", `■ end ${parts.join(" · ")}`);
      break;
    }
    case "followup_sent":
      body = paint("magenta", `↻ followup ${e.data.followup_reason ?? ""}`) + (e.data.prompt ? ` ${compact(e.data.prompt, room)}` : "");
      break;
  }
  return cellText(`${paint("dim", time)} ${paint("bold", who)} ${body}`);
}

/**
 * A cell on one line: cells hold anyone's text (ids, task titles, error messages, SQL results).
 * A newline or tab becomes a space; other control characters go, except the colour codes awl
 * paints itself, so no text can move the cursor or clear the terminal.
 */
export function cellText(c: string): string {
  return c.replace(/\u001b\[[0-9;]*m|[\u0000-\u001f\u007f]/g, (m) => (m.length > 1 ? m : m === "\n" || m === "\r" || m === "\t" ? " " : ""));
}

/** A plain text table: columns padded to their widest cell (ANSI colour codes do not count). */
export function table(headers: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map(cellText));
  // A loop, not Math.max(...cells): spread arguments overflow the stack past ~120 000 rows (`awl sql`).
  const widths = headers.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, stripVTControlCharacters(r[i] ?? "").length);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c + " ".repeat(Math.max(0, widths[i]! - stripVTControlCharacters(c).length)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
