import { Worker } from "node:worker_threads";
import type { ImportSummary } from "./import-file.js";
import type { FileState } from "./import-state.js";

/**
 * Imports files on `jobs` worker threads (import-worker.ts), the largest files first so the
 * threads finish together. The threads share one list and take its next file, and claim an
 * attempt, through shared memory: no round trip to this thread per file, which on two cores
 * left each import thread waiting a tenth of its time. This thread only collects what each
 * file reports (journal records, summaries, progress).
 */

export interface WorkerSetup {
  logDir: string;
  streamFile: string;
  enabled: boolean;
  stateDir: string;
}

export interface WorkerData extends WorkerSetup {
  files: { path: string; before: FileState | undefined }[];
  /** Int32 cells: [0] the index of the next file to take, [1 + stripe] an attempt claim (claimStripe). */
  shared: SharedArrayBuffer;
}

/** Messages from a worker. */
export type FromWorker = { type: "done"; path: string; summary: ImportSummary; remember: Remembered[] } | { type: "failed"; message: string };

/** A file's journal record, which the import's own thread writes. */
export interface Remembered {
  path: string;
  state: Omit<FileState, "resume">;
  resume: string | undefined;
}

/**
 * Attempt claims are striped: an attempt's claim is one of this many cells, chosen by its id. Two
 * attempts that share a cell are merely imported one after the other; a thread holds one claim at a time.
 */
export const CLAIM_STRIPES = 4096;

export function claimStripe(attemptId: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < attemptId.length; i++) h = Math.imul(h ^ attemptId.charCodeAt(i), 0x01000193);
  return 1 + ((h >>> 0) % CLAIM_STRIPES);
}

export async function importInWorkers(
  files: readonly { path: string; size: number; before: FileState | undefined }[],
  jobs: number,
  setup: WorkerSetup,
  onFile: (done: { summary: ImportSummary; remember: Remembered[] }, size: number) => void,
): Promise<void> {
  const queue = [...files].sort((a, b) => b.size - a.size);
  const sizes = new Map(files.map((f) => [f.path, f.size]));
  const data: WorkerData = {
    ...setup,
    files: queue.map((f) => ({ path: f.path, before: f.before })),
    shared: new SharedArrayBuffer(4 * (1 + CLAIM_STRIPES)),
  };
  const limits = { maxOldGenerationSizeMb: heapLimitMb(queue[0]?.size ?? 0) };
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = jobs;
      for (let i = 0; i < jobs; i++) {
        const w = startWorker(data, limits);
        workers.push(w);
        w.on("message", (m: FromWorker) => {
          if (m.type === "done") onFile(m, sizes.get(m.path) ?? 0);
          else reject(new Error(m.message));
        });
        w.once("error", (err: Error & { code?: string }) =>
          reject(err.code === "ERR_WORKER_OUT_OF_MEMORY" ? new Error(`an import thread ran out of memory (${limits.maxOldGenerationSizeMb} MB); import with --jobs 1`) : err),
        );
        w.once("exit", (code) => {
          if (code !== 0) reject(new Error(`an import thread stopped with exit code ${code}`));
          else if (--running === 0) resolve();
        });
      }
    });
  } finally {
    // A thread that failed may have left a claim taken: the others are stopped, not waited for.
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * An import thread's heap limit: three times its largest file (its lines and events; a 66 MB
 * session file imports within 128 MB) above a floor. V8 sizes a heap by how fast the thread allocates, not by what
 * stays alive: the import keeps under 20 MB alive after a collection, yet each thread grew to
 * over 100 MB and two of them took the import past 300 MB. Under a limit V8 sizes its
 * generations for it and collects sooner: 240-250 MB for the import bench, in the same time.
 */
export function heapLimitMb(largestFileBytes: number): number {
  return 128 + 3 * Math.ceil(largestFileBytes / 1048576);
}

function startWorker(data: WorkerData, resourceLimits: { maxOldGenerationSizeMb: number }): Worker {
  const here = import.meta.url;
  if (here.endsWith(".js")) return new Worker(new URL("./import-worker.js", here), { workerData: data, resourceLimits });
  // Running from source (tests, tsx): the thread registers tsx before loading the TypeScript entry.
  const api = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./import-worker.ts", here).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, {
    eval: true,
    workerData: data,
    resourceLimits,
  });
}
