// The `awl` command's entry point (bin/awl.js loads the compiled copy of this file).
import { main } from "./main.js";

// Output to a reader that went away (`awl sessions | head -1`) is dropped, not a crash: it may
// fail after the command returned (help text). main() stops a running command on it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") return;
    process.exitCode = 1;
    if (stream !== process.stderr) process.stderr.write(`awl: cannot write the output: ${err.message}\n`);
  });
}

process.exitCode = await main(process.argv.slice(2));
