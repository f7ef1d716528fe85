// Errors the user can act on. Each kind maps to one exit code, so scripts can tell a bad input
// from a bad model from a full disk without parsing messages.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  output: 4,
  model: 5,
  source: 6,
  /** The job queue's Redis is unreachable or was lost; a queued run cancelled or unknown. */
  queue: 7,
  dependency: 8,
  /** `chroma train` ran but its model did not beat the starting one on validation; nothing was written. */
  unimproved: 9,
  /** 128 + the signal's number, as a shell reports a process stopped by it. */
  hangup: 129,
  interrupted: 130,
  terminated: 143,
} as const;

/** The exit code for a job stopped by a signal (SIGINT when unknown). */
export function signalExitCode(signal: NodeJS.Signals | null | undefined): number {
  return signal === 'SIGTERM' ? EXIT.terminated : signal === 'SIGHUP' ? EXIT.hangup : EXIT.interrupted;
}

export type ErrorKind = Exclude<keyof typeof EXIT, 'ok'>;

export class ChromaError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChromaError';
    this.kind = kind;
  }
  get exitCode(): number {
    return EXIT[this.kind];
  }
}

export const inputError = (m: string) => new ChromaError('input', m);
export const outputError = (m: string) => new ChromaError('output', m);
export const modelError = (m: string) => new ChromaError('model', m);
export const usageError = (m: string) => new ChromaError('usage', m);

/**
 * The one shape of a bad option, for the library and the CLI alike: `NAME ACTUAL: expected
 * EXPECTED` (the CLI passes `--temperature`, the library `temperature`).
 */
export function invalidOption(name: string, expected: string, actual: unknown): ChromaError {
  const shown = typeof actual === 'string' ? actual : JSON.stringify(actual) ?? String(actual);
  return usageError(`${name} ${shown}: expected ${expected}`);
}

/** One line for the terminal: the message of a ChromaError, or a short form of anything else. */
export function describeError(err: unknown): string {
  if (err instanceof ChromaError) return err.message;
  if (err instanceof Error) return `internal error: ${err.message}`;
  return `internal error: ${String(err)}`;
}

export function exitCodeOf(err: unknown): number {
  return err instanceof ChromaError ? err.exitCode : EXIT.internal;
}
