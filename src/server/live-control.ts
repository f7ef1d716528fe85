// What a live server does with a viewer's messages (control.ts checks their shape): camera frames
// go to that viewer's camera session; "set" changes the shared settings and tells everyone; "get"
// answers one; colour hints are placed, removed or cleared for everyone, when this server, this
// socket and the count allow it. A refused message is answered with {"type":"error"} and counted.
import type { Client } from './broadcaster.js';
import { parseControl, MAX_CONTROL_BYTES, type ControlMessage, type LiveSettings } from './control.js';
import type { LiveHints } from './live-hints.js';
import { isUpload } from './webcam-upload.js';

/** Messages to the viewers: to one, or to all. */
export interface ViewerChannel {
  send(c: Client, obj: object): void;
  broadcastJson(obj: object): void;
}

export interface ViewerControlOptions {
  settings: LiveSettings;
  /** Whether a smoothing stage exists (without one, "smooth" is refused). */
  smoothAvailable: boolean;
  /** Why "view" is refused (no --restore), or null when the viewers may switch. */
  restoreReason: string | null;
  hints: LiveHints;
  /** Why colour hints are off here (no token, a model without hint input), or null when they are on. */
  hintsReason: string | null;
  /** The source's frame size now (0 x 0 before its first frame). */
  frameSize: () => { width: number; height: number };
  /** Seq of the next frame from the source (a hint's frame must be older). */
  nextSeq: () => number;
  viewers: ViewerChannel;
  /** A viewer's camera frame. */
  onUpload: (c: Client, buf: Buffer) => void;
  /** A message refused. */
  onRefused: () => void;
}

type HintMessage = Extract<ControlMessage, { type: 'hint' | 'unhint' | 'clear-hints' }>;

export class ViewerControl {
  constructor(private readonly o: ViewerControlOptions) {}

  /** Tell everyone the hints now (`by`: the viewer whose message changed them). */
  announceHints(by?: number): void {
    this.o.viewers.broadcastJson({ type: 'hints', hints: this.o.hints.list(), ...(by ? { by } : {}) });
  }

  onMessage(c: Client, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const { settings, viewers } = this.o;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary && isUpload(buf)) return this.o.onUpload(c, buf);
    // The socket takes camera-sized messages; text keeps the control cap, closing as ws would (1009).
    if (!isBinary && buf.length > MAX_CONTROL_BYTES) return c.ws.close(1009, 'message too big');
    const r = parseControl(data, isBinary, { smoothAvailable: this.o.smoothAvailable, restoreReason: this.o.restoreReason, ...this.o.frameSize() });
    if (!r.ok) return this.refuse(c, r.error);
    const m = r.message;
    if (m.type === 'hint' || m.type === 'unhint' || m.type === 'clear-hints') return this.onHint(c, m);
    if (m.type === 'get') return viewers.send(c, { type: 'state', state: { ...settings } });
    Object.assign(settings, m.patch);
    viewers.broadcastJson({ type: 'state', state: { ...settings }, by: c.id });
  }

  private refuse(c: Client, message: string): void {
    this.o.onRefused();
    this.o.viewers.send(c, { type: 'error', message });
  }

  private onHint(c: Client, m: HintMessage): void {
    const { hints } = this.o;
    if (this.o.hintsReason) return this.refuse(c, this.o.hintsReason);
    if (!c.trusted) return this.refuse(c, 'colour hints need the server\'s token: open the viewer with ?token=...');
    if (m.type === 'hint') {
      const seq = this.o.nextSeq();
      if (m.hint.frame !== undefined && m.hint.frame >= seq) return this.refuse(c, `"frame" ${m.hint.frame} has not been sent yet (newest ${seq - 1})`);
      const id = hints.add(m.hint);
      if (!id) return this.refuse(c, `too many live hints (max ${hints.max}): remove one or clear them first`);
      this.o.viewers.send(c, { type: 'hint-added', id });
    } else if (m.type === 'unhint') {
      if (!hints.remove(m.id)) return this.refuse(c, `no live hint "${m.id.slice(0, 40)}"`);
    } else hints.clear();
    this.announceHints(c.id);
  }
}
