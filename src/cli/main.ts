import { readFileSync } from "node:fs";
import { Command, CommanderError } from "@commander-js/extra-typings";
import { ConfigError } from "../config/env.js";
import { ValidationError } from "../schema/issues.js";
import { defaultIo, type Io } from "./context.js";
import { EXIT, UsageError } from "./errors.js";

type SetExitCode = (code: number) => void;
type AnyCommand = Parameters<Command["addCommand"]>[0];

/**
 * Every command, in the order of the data's path (the order `awl --help` lists them), each
 * loaded only when needed: `awl run` starts the agent sooner for not loading the other fourteen.
 */
const COMMANDS: [name: string, load: (io: Io, setExitCode: SetExitCode) => Promise<AnyCommand>][] = [
  ["demo", async (io) => (await import("./commands/demo.js")).demoCommand(io)],
  ["run", async (io, set) => (await import("./commands/run.js")).runCommand(io, set)],
  ["import", async (io) => (await import("./commands/import.js")).importCommand(io)],
  ["emit", async (io) => (await import("./commands/emit.js")).emitCommand(io)],
  ["outcome", async (io) => (await import("./commands/outcome.js")).outcomeCommand(io)],
  ["sessions", async (io) => (await import("./commands/sessions.js")).sessionsCommand(io)],
  ["tail", async (io) => (await import("./commands/tail.js")).tailCommand(io)],
  ["watch", async (io) => (await import("./commands/watch.js")).watchCommand(io)],
  ["alerts", async (io) => (await import("./commands/alerts.js")).alertsCommand(io)],
  ["monitor", async (io, set) => (await import("./commands/monitor.js")).monitorCommand(io, set)],
  ["rotate", async (io) => (await import("./commands/rotate.js")).rotateCommand(io)],
  ["analyze", async (io) => (await import("./commands/analyze.js")).analyzeCommand(io)],
  ["sql", async (io) => (await import("./commands/sql.js")).sqlCommand(io)],
  ["report", async (io, set) => (await import("./commands/report.js")).reportCommand(io, set)],
  ["serve", async (io) => (await import("./commands/serve.js")).serveCommand(io)],
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * The `awl` program. With `only` naming a command, the program holds that command alone
 * (what it runs when the first argument is a command's name); else all of them (help, errors).
 */
export async function buildProgram(io: Io, setExitCode: SetExitCode = () => undefined, only?: string) {
  const program = new Command("awl")
    .description("awl, the agent work log: record what AI coding agents do, watch them live, learn from the history")
    .version(version(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s.startsWith("error:") ? `awl: ${s.slice(7)}` : s),
    })
    .enablePositionalOptions()
    .exitOverride();
  const wanted = COMMANDS.filter(([name]) => only === undefined || name === only);
  const commands = await Promise.all((wanted.length > 0 ? wanted : COMMANDS).map(([, load]) => load(io, setExitCode)));
  for (const cmd of commands) {
    program.addCommand(configureTree(cmd as Parameters<typeof configureTree>[0], io) as AnyCommand);
  }
  return program;
}

/** Exit override and awl's error output on a command and its subcommands (`analyze errors`, `report weekly`). */
function configureTree<C extends { commands: readonly unknown[]; exitOverride(): C; configureOutput(o: object): C }>(cmd: C, io: Io): C {
  for (const sub of cmd.commands) configureTree(sub as C, io);
  return cmd.exitOverride().configureOutput({
    writeOut: (s: string) => io.stdout.write(s),
    writeErr: (s: string) => io.stderr.write(s),
    outputError: (s: string, write: (s: string) => void) => write(s.startsWith("error:") ? `awl: ${s.slice(7)}` : s),
  });
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  // Signals become an abort whose reason names the signal: long-running commands end cleanly
  // (tail -f, watch) and `awl run` passes the same signal on to its agent.
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) controller.abort(signal);
  };
  const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of SIGNALS) process.on(s, onSignal);
  // A reader that goes away (`awl sessions | head -1`) closes the pipe: writes fail with EPIPE.
  // A command stops there, as at Ctrl-C. `awl run` does not: its agent goes on, and so does the
  // recording, without the passthrough (agent-process.ts).
  const onClosedOutput = () => {
    if (argv[0] !== "run" && !controller.signal.aborted) controller.abort("EPIPE");
  };
  io.stdout.on("error", onClosedOutput);
  io.stderr.on("error", onClosedOutput);
  const signal = io.signal ? AbortSignal.any([io.signal, controller.signal]) : controller.signal;
  try {
    let exitCode: number = EXIT.ok;
    const program = await buildProgram(
      { ...io, signal },
      (code) => {
        exitCode = code;
      },
      argv[0],
    );
    if (argv.length === 0) {
      io.stdout.write(program.helpInformation());
      return EXIT.ok;
    }
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage; // commander already printed its one line
    }
    if (err instanceof UsageError || err instanceof ValidationError || err instanceof ConfigError) {
      io.stderr.write(`awl: ${err.message}\n`);
      return EXIT.usage;
    }
    const e = err as NodeJS.ErrnoException;
    const message = e.message ?? String(err);
    // Node's own messages already start with the code (`EEXIST: file already exists, …`).
    io.stderr.write(`awl: ${e.code && !message.startsWith(e.code) ? `${e.code}: ` : ""}${message}\n`);
    if (io.env.AWL_DEBUG) io.stderr.write(`${e.stack}\n`);
    return EXIT.failure;
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
    io.stdout.off("error", onClosedOutput);
    io.stderr.off("error", onClosedOutput);
  }
}
