// SIGINT/SIGTERM for long-running subcommands (serve, the editor): remembered from the moment the
// command starts, so a signal that arrives while the model loads stops the start-up too.
export interface StopSignal {
  /** The signal received so far, or null. */
  readonly received: NodeJS.Signals | null;
  /** Resolves at the first signal (at once when one came already). */
  wait(): Promise<void>;
  /** Stop listening. */
  dispose(): void;
}

export function listenForStop(): StopSignal {
  let received: NodeJS.Signals | null = null;
  let wake: (() => void) | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    received = sig;
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get received() {
      return received;
    },
    wait: () => (received ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve))),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
