// The editor's sockets (edit-server.ts serves them): every socket shares the session's hints (an
// edit is announced to all); each socket has its own frame. One worker does everything that costs
// CPU, in order of who waits for it: renders (only the newest frame asked for per socket, so holding
// an arrow key skips frames instead of queueing them), then the model's colour suggestions, then
// tracking, one hint at a time. A render of the whole film (edit-render.ts) runs beside it. With
// --restore each socket also chooses which L its frames are colorized from (restored or original),
// and is told {"type":"restoring","frame","first","last"} before a frame whose block must be
// restored first (seconds on a small machine).
import { WebSocket, type WebSocketServer } from 'ws';
import sharp from 'sharp';
import { parseEditMessage, type EditMessage } from './edit-control.js';
import type { EditSession, FrameView } from '../editor/session.js';
import { ChromaError, describeError, usageError } from '../core/errors.js';
import { EditRender, type RenderStatus } from './edit-render.js';
import { NO_RESTORE } from './edit-page.js';

export const EDIT_FRAME_MAGIC = 0x31454843; // "CHE1"
/** magic, frame, revision, and 1 when the frame was colorized from the restored L (else 0), each a uint32 LE. */
export const EDIT_FRAME_HEADER_BYTES = 16;

type Point = { frame: number; x: number; y: number };

export class EditRoom {
  private readonly frameOf = new Map<WebSocket, number>();
  /** The newest frame each socket asked for and has not been sent. */
  private readonly wanted = new Map<WebSocket, number>();
  private readonly suggests = new Map<WebSocket, Point>();
  /** Each socket's choice of L (restored unless it asked for the original). */
  private readonly viewOf = new Map<WebSocket, FrameView>();
  /** Bumped by every edit; frames carry the revision they were rendered at. */
  private rev = 0;
  /** The worker's run, while it runs (close() waits for it: the model outlives every render). */
  private working: Promise<void> | null = null;
  private closed = false;
  private readonly film: object;
  readonly renderJob: EditRender;

  constructor(
    private readonly session: EditSession,
    private readonly wss: WebSocketServer,
    /** JPEG quality of the frames sent. */
    private readonly quality: number,
  ) {
    const { info } = session;
    this.film = {
      name: info.path.split('/').pop(), width: info.width, height: info.height, frames: session.frames, fps: session.fps, cuts: session.cuts,
      shots: session.shots.shots, setups: session.shots.setups, setupHints: session.setupHints, renderPath: session.renderPath,
      restore: session.restores,
    };
    this.renderJob = new EditRender(session, (st) => this.toAll(st));
  }

  private toAll(o: RenderStatus): void {
    const text = JSON.stringify(o);
    for (const ws of this.wss.clients) this.sendJson(ws, text);
  }

  /** A socket just opened: its messages, its state and frame 0. */
  join(ws: WebSocket): void {
    this.frameOf.set(ws, 0);
    ws.on('message', (data, isBinary) => {
      const parsed = parseEditMessage(data as Buffer, isBinary);
      if (!parsed.ok) return this.sendJson(ws, { type: 'error', message: parsed.error });
      this.onMessage(ws, parsed.message).catch((err: unknown) => {
        this.sendJson(ws, { type: 'error', message: err instanceof ChromaError ? err.message : describeError(err) });
      });
    });
    ws.on('close', () => {
      this.frameOf.delete(ws);
      this.wanted.delete(ws);
      this.suggests.delete(ws);
      this.viewOf.delete(ws);
    });
    this.sendJson(ws, this.stateOf(0, ws));
    this.sendJson(ws, this.renderJob.current);
    this.want(ws, 0);
  }

  /** Every socket dropped (a render is cancelled); the worker stops after what it is doing. */
  async close(): Promise<void> {
    this.closed = true;
    await this.renderJob.stop();
    await this.working;
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private stateOf(frame: number, ws: WebSocket, added?: string | null): string {
    const { session } = this;
    return JSON.stringify({
      type: 'state', rev: this.rev, film: this.film, frame, hints: session.view(frame), losses: session.losses(), tracking: session.busy,
      hintsPath: session.hintsPath, history: session.history, view: this.shownView(ws), ...(added ? { added } : {}),
    });
  }

  /** The L a socket's frames are colorized from: restored where the session restores and the page did not ask for the original. */
  private shownView(ws: WebSocket): FrameView {
    return this.session.restores ? this.viewOf.get(ws) ?? 'restored' : 'original';
  }

  private sendJson(ws: WebSocket, o: object | string): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(typeof o === 'string' ? o : JSON.stringify(o));
  }

  /** Everyone's state now, and everyone's frame again (after an edit, or when tracks come in). */
  private refreshAll(added?: string | null): void {
    this.rev++;
    for (const ws of this.wss.clients) this.sendJson(ws, this.stateOf(this.frameOf.get(ws) ?? 0, ws, added));
    for (const ws of this.wss.clients) this.wanted.set(ws, this.frameOf.get(ws) ?? 0);
  }

  private want(ws: WebSocket, frame: number): void {
    this.wanted.set(ws, frame);
    void this.pump();
  }

  private async render(ws: WebSocket, frame: number): Promise<void> {
    const r = this.rev, view = this.shownView(ws);
    // The first frame of a block waits seconds for its block's repair: the page says so meanwhile.
    const block = this.session.restoring(frame, view);
    if (block) this.sendJson(ws, { type: 'restoring', frame, ...block });
    const f = await this.session.render(frame, view);
    const jpeg = await sharp(f.out, { raw: { width: f.width, height: f.height, channels: 3 } })
      .jpeg({ quality: this.quality, chromaSubsampling: '4:4:4' }).toBuffer();
    const head = Buffer.alloc(EDIT_FRAME_HEADER_BYTES);
    head.writeUInt32LE(EDIT_FRAME_MAGIC, 0);
    head.writeUInt32LE(frame, 4);
    head.writeUInt32LE(r, 8);
    head.writeUInt32LE(view === 'restored' ? 1 : 0, 12);
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([head, jpeg]));
  }

  private async suggestFor(ws: WebSocket, m: Point): Promise<void> {
    this.sendJson(ws, { type: 'suggest', frame: m.frame, x: m.x, y: m.y, colors: await this.session.suggest(m.frame, m.x, m.y, this.shownView(ws)) });
  }

  /**
   * The one worker: renders first (what the person waits for), then suggestions, then one track at
   * a time; when the last track is in, everyone's frame again (the hints may have moved there).
   */
  private pump(): Promise<void> {
    this.working ??= this.work().finally(() => {
      this.working = null;
    });
    return this.working;
  }

  private async work(): Promise<void> {
    while (!this.closed) {
      const next = this.wanted.size ? 'render' : this.suggests.size ? 'suggest' : this.session.untracked > 0 ? 'track' : null;
      if (!next) break;
      try {
        if (next === 'track') {
          await this.session.trackNext();
          if (this.session.untracked === 0) this.refreshAll();
          continue;
        }
        await this.serveOne(next);
      } catch (err) {
        for (const ws of this.wss.clients) this.sendJson(ws, { type: 'error', message: `tracking failed: ${describeError(err)}` });
        break;
      }
    }
  }

  /** The first socket waiting for a render (or a suggestion); its failure is told to it alone. */
  private async serveOne(kind: 'render' | 'suggest'): Promise<void> {
    const queue: Map<WebSocket, unknown> = kind === 'render' ? this.wanted : this.suggests;
    const [ws, what] = queue.entries().next().value as [WebSocket, unknown];
    queue.delete(ws);
    if (ws.readyState !== WebSocket.OPEN) return;
    try {
      if (kind === 'render') await this.render(ws, what as number);
      else await this.suggestFor(ws, what as Point);
    } catch (err) {
      this.sendJson(ws, { type: 'error', message: describeError(err) });
    }
  }

  /** After an edit: everyone's state and frame now; the new tracks follow (pump). */
  private edited(added: string | null): void {
    this.refreshAll(added);
    void this.pump();
  }

  private async onMessage(ws: WebSocket, m: EditMessage): Promise<void> {
    const { session } = this;
    switch (m.type) {
      case 'get':
        return this.sendJson(ws, this.stateOf(this.frameOf.get(ws) ?? 0, ws));
      case 'seek':
        if (m.frame >= session.frames) return this.sendJson(ws, { type: 'error', message: `frame ${m.frame}: not a frame of this film (0..${session.frames - 1})` });
        this.frameOf.set(ws, m.frame);
        this.sendJson(ws, this.stateOf(m.frame, ws));
        return this.want(ws, m.frame);
      case 'view':
        if (!session.restores) throw usageError(NO_RESTORE);
        this.viewOf.set(ws, m.view);
        this.sendJson(ws, this.stateOf(this.frameOf.get(ws) ?? 0, ws));
        return this.want(ws, this.frameOf.get(ws) ?? 0);
      case 'suggest':
        if (m.frame >= session.frames || m.x > session.info.width - 1 || m.y > session.info.height - 1) {
          return this.sendJson(ws, { type: 'error', message: 'suggest: the point is outside the film' });
        }
        this.suggests.set(ws, m);
        return void this.pump();
      case 'save':
        return this.sendJson(ws, { type: 'saved', path: await session.save() });
      case 'load':
        return this.edited(session.edit({ type: 'replace', file: m.file }));
      case 'undo':
      case 'redo':
        if (!(m.type === 'undo' ? session.undo() : session.redo())) throw usageError(`nothing to ${m.type}`);
        return this.edited(null);
      case 'render':
        return this.renderJob.start({ ...(m.smooth !== undefined ? { smooth: m.smooth } : {}), ...(m.overwrite !== undefined ? { overwrite: m.overwrite } : {}) });
      case 'cancel':
        if (!this.renderJob.cancel()) throw usageError('no render is running');
        return;
      default:
        this.edited(session.edit(m));
    }
  }
}
