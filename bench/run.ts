// `npm run bench`: the benchmark suite (see bench/bench-cli.ts, or pass --help).
import { runBenchCommand } from './bench-cli.js';

process.exitCode = await runBenchCommand(process.argv.slice(2));
