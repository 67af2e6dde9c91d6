import { type SpawnOptions, spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
export const AWL_SOURCE = join(ROOT, "src", "cli", "bin.ts");
/** tsx by absolute URL: the CLI may be started in any directory (a scratch git repository). */
export const TSX = import.meta.resolve("tsx");

export interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** Runs the awl CLI from source in a child process, as a user's shell would. */
export function awl(
  args: string[],
  opts: SpawnOptions & { onSpawn?: (pid: number) => void; onStdout?: (soFar: string, pid: number) => void } = {},
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, AWL_SOURCE, ...args], { stdio: ["ignore", "pipe", "pipe"], ...opts });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (d: Buffer) => {
      out.push(d);
      opts.onStdout?.(Buffer.concat(out).toString(), child.pid!);
    });
    child.stderr!.on("data", (d: Buffer) => err.push(d));
    child.once("error", reject);
    if (child.pid) opts.onSpawn?.(child.pid);
    child.once("close", (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
  });
}
