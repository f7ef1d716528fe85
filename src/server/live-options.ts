// The checks of a live server's options (startServer), apart from its wiring: each option in
// range, or one clear usage error naming the flag. Run before anything starts.
import { invalidOption, usageError } from '../core/errors.js';
import { checkNumber } from '../core/options.js';
import { LIVE_TEMPERATURE_RANGE, SMOOTH_RANGE } from './control.js';
import { LOG_FORMATS } from './log.js';
import { isRtspTransport, RTSP_TRANSPORTS } from './sources/rtsp.js';
import type { ServerOptions } from './server-types.js';

export function checkServerOptions(opts: ServerOptions): void {
  checkNumber('--width', opts.width, 16, 8192, true);
  checkNumber('--height', opts.height, 16, 8192, true);
  checkNumber('--fps', opts.fps, 0.1, 1000);
  checkNumber('--quality', opts.quality, 1, 100, true);
  checkNumber('--port', opts.port, 0, 65535, true);
  checkNumber('--batch', opts.batch, 1, 64, true);
  checkNumber('--max-wait', opts.maxWaitMs, 0, 10000);
  checkNumber('--size', opts.size, 32, 4096, true);
  checkNumber('--temperature', opts.temperature, LIVE_TEMPERATURE_RANGE[0], LIVE_TEMPERATURE_RANGE[1]);
  checkNumber('--smooth', opts.smooth, SMOOTH_RANGE[0], SMOOTH_RANGE[1]);
  checkNumber('--max-viewers', opts.maxViewers, 1, 10000, true);
  checkNumber('--client-queue', opts.clientQueue, 1, 64, true);
  if ((opts.width === undefined) !== (opts.height === undefined)) throw usageError('give both --width and --height, or neither');
  if (opts.rtspTransport !== undefined && !isRtspTransport(opts.rtspTransport)) throw invalidOption('rtspTransport', RTSP_TRANSPORTS.join(', '), opts.rtspTransport);
  if (opts.logFormat !== undefined && !LOG_FORMATS.includes(opts.logFormat)) throw invalidOption('logFormat', LOG_FORMATS.join(' or '), opts.logFormat);
}
