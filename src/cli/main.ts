import { readFileSync } from "node:fs";
import { Command, CommanderError } from "@commander-js/extra-typings";
import { ConfigError } from "../config/index.js";
import { ValidationError } from "../schema/index.js";
import { analyzeCommand } from "./commands/analyze.js";
import { alertsCommand } from "./commands/alerts.js";
import { demoCommand } from "./commands/demo.js";
import { emitCommand } from "./commands/emit.js";
import { importCommand } from "./commands/import.js";
import { monitorCommand } from "./commands/monitor.js";
import { outcomeCommand } from "./commands/outcome.js";
import { rotateCommand } from "./commands/rotate.js";
import { reportCommand } from "./commands/report.js";
import { runCommand } from "./commands/run.js";
import { serveCommand } from "./commands/serve.js";
import { sessionsCommand } from "./commands/sessions.js";
import { sqlCommand } from "./commands/sql.js";
import { tailCommand } from "./commands/tail.js";
import { watchCommand } from "./commands/watch.js";
import { defaultIo, type Io } from "./context.js";
import { EXIT, UsageError } from "./errors.js";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function buildProgram(io: Io, setExitCode: (code: number) => void = () => undefined) {
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
  // In the order of the data's path, which is the order `awl --help` lists them.
  const commands = [
    demoCommand(io),
    runCommand(io, setExitCode),
    importCommand(io),
    emitCommand(io),
    outcomeCommand(io),
    sessionsCommand(io),
    tailCommand(io),
    watchCommand(io),
    alertsCommand(io),
    monitorCommand(io, setExitCode),
    rotateCommand(io),
    analyzeCommand(io),
    sqlCommand(io),
    reportCommand(io, setExitCode),
    serveCommand(io),
  ];
  for (const cmd of commands) {
    program.addCommand(configureTree(cmd, io));
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
  const signal = io.signal ? AbortSignal.any([io.signal, controller.signal]) : controller.signal;
  try {
    let exitCode: number = EXIT.ok;
    const program = buildProgram({ ...io, signal }, (code) => {
      exitCode = code;
    });
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
    io.stderr.write(`awl: ${e.code ? `${e.code}: ` : ""}${e.message ?? String(err)}\n`);
    if (io.env.AWL_DEBUG) io.stderr.write(`${e.stack}\n`);
    return EXIT.failure;
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}
