// The editor's RENDER button: one render of the whole film at a time (editor/film-render.ts), its
// progress told to every page (at most 4 times a second), cancel, and the finished file's path.
import { usageError, describeError } from '../core/errors.js';
import type { EditSession } from '../editor/session.js';

export interface RenderStatus {
  type: 'render';
  /** idle: none yet; track: following the hints through the film; colour: frames being written. */
  state: 'idle' | 'track' | 'colour' | 'done' | 'cancelled' | 'failed';
  frames: number;
  total: number | null;
  etaSeconds: number | null;
  /** Where the render goes (when done: where it is). */
  output: string;
  /** Why it failed. */
  message?: string;
}

const ANNOUNCE_EVERY_MS = 250;

export class EditRender {
  private status: RenderStatus;
  private abort: AbortController | null = null;
  private done: Promise<void> = Promise.resolve();
  private lastAnnounced = 0;

  constructor(private readonly session: EditSession, private readonly announce: (s: RenderStatus) => void) {
    this.status = { type: 'render', state: 'idle', frames: 0, total: session.frames, etaSeconds: null, output: session.renderPath };
  }

  get current(): RenderStatus {
    return this.status;
  }

  /** The finished file, when the last render completed. */
  get finished(): string | null {
    return this.status.state === 'done' ? this.status.output : null;
  }

  /** Start a render (refused with one line while one runs). */
  start(o: { smooth?: boolean; overwrite?: boolean }): void {
    if (this.abort) throw usageError('a render is already running (cancel it first)');
    const abort = new AbortController();
    this.abort = abort;
    this.set({ state: 'track', frames: 0, etaSeconds: null }, true);
    this.done = this.session.renderFilm({
      ...o, signal: abort.signal,
      onProgress: (phase, p) => this.set({ state: phase, ...(p ? { frames: p.frames, total: p.total ?? this.status.total, etaSeconds: p.etaSeconds } : {}) }, !p),
    }).then(
      (r) => this.set({ state: 'done', frames: r.frames, etaSeconds: 0, output: r.output }, true),
      (err: unknown) => this.set(abort.signal.aborted ? { state: 'cancelled', etaSeconds: null } : { state: 'failed', etaSeconds: null, message: describeError(err) }, true),
    ).finally(() => {
      this.abort = null;
    });
  }

  /** Stop the running render (false: none runs); its temporary file is removed. */
  cancel(): boolean {
    if (!this.abort) return false;
    this.abort.abort();
    return true;
  }

  /** Cancel and wait until the render has let go of everything (the server is closing). */
  async stop(): Promise<void> {
    this.cancel();
    await this.done;
  }

  private set(patch: Partial<RenderStatus>, now = false): void {
    const { message: _m, ...rest } = this.status;
    this.status = { ...rest, ...patch };
    const t = performance.now();
    if (!now && t - this.lastAnnounced < ANNOUNCE_EVERY_MS) return;
    this.lastAnnounced = t;
    this.announce(this.status);
  }
}
