#!/usr/bin/env node
// The `colorize` command: the same as `chroma colorize`.
import { runColorizeCommand } from './colorize-cli.js';

runColorizeCommand(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
