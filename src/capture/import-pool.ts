import { Worker } from "node:worker_threads";
import type { ImportSummary } from "./import-file.js";
import type { FileState } from "./import-state.js";

/**
 * Imports files on `jobs` worker threads (import-worker.ts), the largest files first so the
 * threads finish together. Each thread asks for a file when it is free; this thread hands
 * them out, grants attempt claims one holder at a time, and adds up the summaries.
 */

export interface WorkerSetup {
  logDir: string;
  streamFile: string;
  enabled: boolean;
  stateDir: string;
}

/** Messages from a worker. */
export type FromWorker =
  | { type: "next" }
  | { type: "claim"; attemptId: string }
  | { type: "release"; attemptId: string }
  | { type: "done"; path: string; summary: ImportSummary; remember: Remembered[] }
  | { type: "failed"; message: string };

/** A file's journal record, which the import's own thread writes. */
export interface Remembered {
  path: string;
  state: Omit<FileState, "resume">;
  resume: string | undefined;
}

/** Messages to a worker. */
export type ToWorker = { type: "file"; path: string; before: FileState | undefined } | { type: "stop" } | { type: "granted"; attemptId: string };

export async function importInWorkers(
  files: readonly { path: string; size: number; before: FileState | undefined }[],
  jobs: number,
  setup: WorkerSetup,
  onFile: (done: { summary: ImportSummary; remember: Remembered[] }, size: number) => void,
): Promise<void> {
  const queue = [...files].sort((a, b) => b.size - a.size);
  const sizes = new Map(files.map((f) => [f.path, f.size]));
  /** Attempt → the workers waiting for it after its holder (the holder is not in the list). */
  const claims = new Map<string, Worker[]>();
  const workers: Worker[] = [];
  const send = (w: Worker, m: ToWorker) => w.postMessage(m);
  try {
    await new Promise<void>((resolve, reject) => {
      let running = jobs;
      for (let i = 0; i < jobs; i++) {
        const w = startWorker(setup);
        workers.push(w);
        w.on("message", (m: FromWorker) => {
          if (m.type === "next") {
            const f = queue.shift();
            send(w, f ? { type: "file", path: f.path, before: f.before } : { type: "stop" });
          } else if (m.type === "claim") {
            const waiting = claims.get(m.attemptId);
            if (waiting) waiting.push(w);
            else {
              claims.set(m.attemptId, []);
              send(w, { type: "granted", attemptId: m.attemptId });
            }
          } else if (m.type === "release") {
            const next = claims.get(m.attemptId)?.shift();
            if (next) send(next, { type: "granted", attemptId: m.attemptId });
            else claims.delete(m.attemptId);
          } else if (m.type === "done") {
            onFile(m, sizes.get(m.path) ?? 0);
          } else if (m.type === "failed") {
            reject(new Error(m.message));
          }
        });
        w.once("error", reject);
        w.once("exit", (code) => {
          if (code !== 0) reject(new Error(`an import thread stopped with exit code ${code}`));
          else if (--running === 0) resolve();
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function startWorker(setup: WorkerSetup): Worker {
  const here = import.meta.url;
  if (here.endsWith(".js")) return new Worker(new URL("./import-worker.js", here), { workerData: setup });
  // Running from source (tests, tsx): the thread registers tsx before loading the TypeScript entry.
  const api = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./import-worker.ts", here).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, {
    eval: true,
    workerData: setup,
  });
}
