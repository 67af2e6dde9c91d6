import type { Rate } from "./queries/executors.js";

/** A titled table of display strings: what `--format table|csv|md` and the Markdown report print. */
export interface Section {
  title: string;
  columns: string[];
  rows: string[][];
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? "-" : `${(x * 100).toFixed(1)}%`;
}

/** "66.7% (2/3, 21–94%)": the rate, its sample and its 95 % interval. */
export function rate(r: Rate): string {
  if (r.n === 0 || r.rate === null) return "- (0)";
  return `${pct(r.rate)} (${r.k}/${r.n}, ${Math.round((r.ci_low ?? 0) * 100)}–${Math.round((r.ci_high ?? 0) * 100)}%)`;
}

export function num(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function usd(x: number | null | undefined): string {
  return x === null || x === undefined ? "-" : `$${x.toFixed(x !== 0 && Math.abs(x) < 0.01 ? 4 : 2)}`;
}

export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  if (x < 1000) return `${Math.round(x)}ms`;
  const s = x / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : "-";
}

export function time(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 16).replace("T", " ") : "-";
}

export function list(xs: readonly string[] | null | undefined, max = 3): string {
  if (!xs || xs.length === 0) return "-";
  return xs.length > max ? `${xs.slice(0, max).join(", ")} +${xs.length - max}` : xs.join(", ");
}

export function flat(text: string | null | undefined, max = 80): string {
  if (!text) return "-";
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(s: Section): string {
  return [s.columns, ...s.rows].map((r) => r.map(csvCell).join(",")).join("\n");
}

function mdCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ").replace(/[<>]/g, (c) => (c === "<" ? "&lt;" : "&gt;"));
}

export function toMarkdown(s: Section, heading = "###"): string {
  const head = `${heading} ${s.title}\n\n`;
  if (s.rows.length === 0) return `${head}_none_\n`;
  const lines = [`| ${s.columns.map(mdCell).join(" | ")} |`, `|${s.columns.map(() => "---").join("|")}|`];
  for (const r of s.rows) lines.push(`| ${r.map(mdCell).join(" | ")} |`);
  return `${head}${lines.join("\n")}\n`;
}
