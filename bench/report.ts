/** Prints a benchmark's figures as a small table (and JSON with BENCH_JSON=1). */
export interface Figure {
  metric: string;
  value: number | string;
  target?: string;
}

export function report(name: string, figures: Figure[]): void {
  if (process.env.BENCH_JSON) {
    console.log(JSON.stringify({ bench: name, figures }));
    return;
  }
  console.log(`\n## ${name}`);
  const w = Math.max(...figures.map((f) => f.metric.length));
  for (const f of figures) {
    const v = typeof f.value === "number" ? f.value.toLocaleString("en-US") : f.value;
    console.log(`  ${f.metric.padEnd(w)}  ${String(v).padStart(12)}${f.target ? `   (target ${f.target})` : ""}`);
  }
}

/** The p-th percentile (0–100) of `xs`: the value at rank floor(p% · n) of the sorted samples. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
