// The hints a person is placing, kept as a hints file. Each edit is applied to the hints as the
// file writes them and re-validated by the file's own validator, so an edit the file format would
// refuse is refused here with the same line, and nothing changes. Every edit that succeeds can be
// undone and redone (the file before it is kept; a new edit after an undo drops what was undone).
import { usageError } from '../core/errors.js';
import { serializeHints, validateHints, type Hint, type HintsFile, type HintsTarget } from '../hints/hints-file.js';

export const DEFAULT_EDIT_MAX_HINTS = 256;
/** Edits kept for undo (the oldest are dropped beyond this). */
export const EDIT_HISTORY = 200;

/** One edit, in the hints file's own terms (positions in film pixels). */
export type HintEdit =
  | { type: 'add'; frame: number; x: number; y: number; color: string; size?: number; until?: Hint['until']; id?: string }
  | { type: 'update'; id: string; frame?: number; x?: number; y?: number; color?: string; size?: number; until?: Hint['until'] }
  | { type: 'delete'; id: string }
  | { type: 'replace'; file: unknown };

type WrittenHints = { hints: Record<string, unknown>[]; reference?: unknown };

export class HintStore {
  private file: HintsFile = { hints: [] };
  private nextId = 1;
  /** Files before each edit (newest last), and files undone (the next redo last). */
  private readonly past: HintsFile[] = [];
  private readonly future: HintsFile[] = [];

  /**
   * `target`: the film the hints are for (the validator's limits); `reference`: the reference photo
   * the session started with (its tilt is fixed for the session).
   */
  constructor(private readonly target: HintsTarget, private readonly reference: HintsFile['reference'] | null) {}

  /** The hints as a file. */
  get hints(): HintsFile {
    return this.file;
  }

  /**
   * Apply one edit (a HintsError, one line, on refusal: nothing changes). Returns the id of the
   * hint added or changed (null for delete and replace).
   */
  edit(e: HintEdit): string | null {
    const before = this.file;
    const id = this.apply(e);
    this.past.push(before);
    if (this.past.length > EDIT_HISTORY) this.past.shift();
    this.future.length = 0;
    return id;
  }

  /** Edits that undo() / redo() can step over. */
  get history(): { undo: number; redo: number } {
    return { undo: this.past.length, redo: this.future.length };
  }

  /** Start the history here (the hints a session opens with are not an edit to undo). */
  forgetHistory(): void {
    this.past.length = 0;
    this.future.length = 0;
  }

  /** Back to the hints before the last edit (false: nothing to undo). */
  undo(): boolean {
    return this.step(this.past, this.future);
  }

  /** The last edit undone, done again (false: nothing to redo). */
  redo(): boolean {
    return this.step(this.future, this.past);
  }

  /** The file on top of `from` becomes the hints; the hints now go on `to`. */
  private step(from: HintsFile[], to: HintsFile[]): boolean {
    const next = from.pop();
    if (!next) return false;
    to.push(this.file);
    this.file = next;
    return true;
  }

  private apply(e: HintEdit): string | null {
    if (e.type === 'replace') {
      this.replace(e.file);
      return null;
    }
    const written = JSON.parse(serializeHints(this.file)) as WrittenHints;
    let id: string | null = null;
    if (e.type === 'add') {
      id = e.id ?? this.freshId(new Set(written.hints.map((h) => h.id as string)));
      written.hints.push(stripUndefined({ id, frame: e.frame, x: e.x, y: e.y, color: e.color, size: e.size, until: e.until }));
    } else {
      const i = written.hints.findIndex((h) => h.id === e.id);
      if (i < 0) throw usageError(`hints: no hint with id ${JSON.stringify(e.id)}`);
      if (e.type === 'delete') written.hints.splice(i, 1);
      else {
        const { type: _t, id: hid, ...patch } = e;
        const h = { ...written.hints[i], ...stripUndefined(patch) };
        // A moved hint is re-anchored at the frame it was moved on (its frame is where the point is known).
        if (patch.x !== undefined || patch.y !== undefined) delete h.time;
        written.hints[i] = h;
        id = hid;
      }
    }
    this.file = validateHints(written, this.target);
    if (e.type === 'add' && e.id === undefined) this.nextId++;
    return id;
  }

  /** A whole new file (the viewer's "open"): every hint gets an id, so the viewer can name it. */
  private replace(file: unknown): void {
    const next = validateHints(file, this.target);
    // The reference photo's tilt was read from the opening hints; another one would make the
    // editor show what the saved file does not render.
    if (JSON.stringify(next.reference ?? null) !== JSON.stringify(this.reference ?? null)) {
      throw usageError('hints: this file names another reference photo than the editor started with; restart the editor with it (--hints FILE)');
    }
    const used = new Set(next.hints.map((h) => h.id).filter((v): v is string => v !== undefined));
    for (const h of next.hints) {
      if (h.id !== undefined) continue;
      h.id = this.freshId(used);
      used.add(h.id);
    }
    this.file = next;
  }

  /** The next unused `hN` (taken for good only by an edit that succeeds). */
  private freshId(used: Set<string>): string {
    while (used.has(`h${this.nextId}`)) this.nextId++;
    return `h${this.nextId}`;
  }
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
