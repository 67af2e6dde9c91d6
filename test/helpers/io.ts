import { PassThrough, Readable } from "node:stream";
import type { Io } from "../../src/cli/context.js";
import { main } from "../../src/cli/main.js";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output, a given environment and optional stdin. */
export async function runCli(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd: string; stdin?: string; tty?: boolean; signal?: AbortSignal; onStdout?: (text: string) => void }): Promise<RunResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d) => {
    stdout += d;
    opts.onStdout?.(stdout);
  });
  err.on("data", (d) => (stderr += d));
  const io: Io = {
    stdout: Object.assign(out, { isTTY: opts.tty ?? false, columns: 200 }),
    stderr: Object.assign(err, { isTTY: false }),
    stdin: Readable.from(opts.stdin !== undefined ? [Buffer.from(opts.stdin)] : []),
    env: opts.env ?? {},
    cwd: opts.cwd,
    signal: opts.signal,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
