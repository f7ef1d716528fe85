// The checks of a live server's options (startServer), apart from its wiring: each option by its
// spec in the option schema (core/option-specs.ts), one usage error under the library's name.
// Run before anything starts.
import { usageError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { SERVER_SPECS } from '../core/option-specs.js';
import type { ServerOptions } from './server-types.js';

export function checkServerOptions(opts: ServerOptions): void {
  checkOptions(SERVER_SPECS, opts);
  if ((opts.width === undefined) !== (opts.height === undefined)) throw usageError('give both width and height, or neither');
}
