// The `awl` command's entry point (bin/awl.js loads the compiled copy of this file).
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
