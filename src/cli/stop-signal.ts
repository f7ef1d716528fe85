// SIGINT/SIGTERM (and SIGHUP where asked) for every subcommand, remembered from the moment the
// command starts, so a signal that arrives while the model loads stops the start-up too.
import { usageError } from '../core/errors.js';

export interface StopOptions {
  /** Also stop at SIGHUP: a closed terminal stops a job as cleanly as Ctrl-C. Default false. */
  hangup?: boolean;
  /**
   * Keep listening after the first signal (default false: the next one gets node's default and
   * ends the process at once, which is what a second Ctrl-C means to most users).
   */
  repeat?: boolean;
  /** Called at each signal with how many have come (a worker's second one means "now"). Default: none. */
  onSignal?: (sig: NodeJS.Signals, count: number) => void;
  /** The abort reason of `signal`. Default: a usage error "interrupted by SIGNAL". */
  reason?: (sig: NodeJS.Signals) => unknown;
}

export interface StopSignal {
  /** The first signal received so far, or null. */
  readonly received: NodeJS.Signals | null;
  /** Signals received so far. */
  readonly count: number;
  /** Aborted at the first signal, with the reason asked for. */
  readonly signal: AbortSignal;
  /** Resolves at the first signal (at once when one came already). */
  wait(): Promise<void>;
  /** Stop listening. */
  dispose(): void;
}

export function listenForStop(opts: StopOptions = {}): StopSignal {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', ...(opts.hangup ? ['SIGHUP' as const] : [])];
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  let count = 0;
  let wake: (() => void) | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    received ??= sig;
    if (!opts.repeat) dispose();
    controller.abort(opts.reason ? opts.reason(received) : usageError(`interrupted by ${received}`));
    opts.onSignal?.(sig, count);
    wake?.();
  };
  const dispose = () => {
    for (const s of signals) process.off(s, onSignal);
  };
  for (const s of signals) process.on(s, onSignal);
  return {
    get received() {
      return received;
    },
    get count() {
      return count;
    },
    signal: controller.signal,
    wait: () => (received ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve))),
    dispose,
  };
}
