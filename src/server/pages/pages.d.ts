// What the pages' scripts share with the type checker only (never served): the elements each page's
// markup has, by id, and what each page leaves on `window` for tests and curious users.

/** The viewer page's elements (viewer-page.ts, viewer-hints.ts). */
interface ViewerElements {
  stage: HTMLDivElement;
  view: HTMLCanvasElement;
  fps: HTMLSpanElement;
  latency: HTMLSpanElement;
  dropped: HTMLSpanElement;
  source: HTMLSpanElement;
  link: HTMLSpanElement;
  stages: HTMLDivElement;
  banner: HTMLDivElement;
  controls: HTMLFormElement;
  temperature: HTMLInputElement;
  temperatureOut: HTMLOutputElement;
  smooth: HTMLInputElement;
  smoothOut: HTMLOutputElement;
  paused: HTMLInputElement;
  viewLabel: HTMLLabelElement;
  showOriginal: HTMLInputElement;
  viewWhy: HTMLSpanElement;
  useCamera: HTMLButtonElement;
  message: HTMLSpanElement;
  camera: HTMLElement;
  camIn: HTMLVideoElement;
  camOut: HTMLCanvasElement;
  camFps: HTMLSpanElement;
  camLatency: HTMLSpanElement;
  hintMarks: HTMLDivElement;
  hints: HTMLSpanElement;
  hintColor: HTMLInputElement;
  hintList: HTMLSpanElement;
  clearHints: HTMLButtonElement;
}

/** The editor page's elements (edit-page.ts). */
interface EditorElements {
  view: HTMLCanvasElement;
  viewLabel: HTMLLabelElement;
  showOriginal: HTMLInputElement;
  viewWhy: HTMLDivElement;
  prev: HTMLButtonElement;
  play: HTMLButtonElement;
  next: HTMLButtonElement;
  seek: HTMLInputElement;
  pos: HTMLSpanElement;
  latency: HTMLSpanElement;
  tracking: HTMLSpanElement;
  restoring: HTMLSpanElement;
  color: HTMLInputElement;
  suggest: HTMLDivElement;
  until: HTMLSelectElement;
  hints: HTMLUListElement;
  save: HTMLButtonElement;
  download: HTMLAnchorElement;
  load: HTMLInputElement;
  message: HTMLDivElement;
  shots: HTMLDivElement;
  'until-why': HTMLDivElement;
  undo: HTMLButtonElement;
  redo: HTMLButtonElement;
  render: HTMLButtonElement;
  cancel: HTMLButtonElement;
  smooth: HTMLInputElement;
  overwrite: HTMLInputElement;
  progress: HTMLProgressElement;
  eta: HTMLDivElement;
  'render-why': HTMLDivElement;
  result: HTMLDivElement;
  rendered: HTMLAnchorElement;
}

/** What the viewer's main script hands the hints script. */
interface HintsApi {
  canvas: HTMLCanvasElement;
  send: (message: object) => boolean;
  flash: (text: string, isError: boolean) => void;
  state: ViewerState;
}

interface HintsScript {
  init: (api: HintsApi) => void;
  onJson: (message: any) => void;
  onFrame: (seq: number) => void;
}

interface ViewerState {
  fps: number;
  latencyMs: number | null;
  frames: number;
  droppedSource: number;
  droppedLink: number;
  droppedViewer: number;
  source: string;
  link: string;
  width: number;
  height: number;
  stages: Record<string, number> | null;
  reconnects: number;
  lastSeq: number;
  shownSeq?: number;
  camera?: { on: boolean; frames: number; fps: number; latencyMs: number | null; sent: number };
  hints?: { enabled: boolean; count: number; sent: number; shown: number; lost: number };
}

interface EditorState {
  frames: number;
  shown: number;
  lastClickMs: number | null;
  clicks: number[];
  rev: number;
  frame: number;
  errors: string[];
  render: RenderView | null;
  history: { undo: number; redo: number };
  /** The L this page asked for ('original' without --restore), and the one the frame on screen was colorized from. */
  view: 'restored' | 'original' | null;
  shownView: 'restored' | 'original' | null;
  /** Every "restoring" message received: the blocks restored before a frame could be shown. */
  restoring: { type: 'restoring'; frame: number; first: number; last: number }[];
}

/** The editor server's "render" message (edit-render.ts). */
interface RenderView {
  type: 'render';
  state: 'idle' | 'track' | 'colour' | 'done' | 'cancelled' | 'failed';
  frames: number;
  total: number | null;
  etaSeconds: number | null;
  output: string;
  message?: string;
}

/** A shot of the film (editor/film-shots.ts). */
interface EditorShot { index: number; start: number; end: number; posterFrame: number; setup: number }

interface Window {
  chromaViewer?: ViewerState;
  chromaHints?: HintsScript;
  chromaEditor?: EditorState;
}

/** The editor server's "state" message (edit-server.ts). */
interface EditView {
  type: 'state';
  rev: number;
  film: {
    name: string; width: number; height: number; frames: number; fps: number; cuts: number[];
    shots: EditorShot[]; setups: { index: number; shots: number[] }[]; setupHints: boolean; renderPath: string;
    /** True when the editor restores (--restore): the original/restored switch can be used. */
    restore: boolean;
  };
  frame: number;
  /** HintView of the edit session, one per hint. */
  hints: {
    id: string; frame: number; x: number; y: number; color: string; size?: number;
    at: [number, number] | null; span: { first: number; last: number } | null; tracked: boolean;
    until: string | number; shots: number[]; missed: number[];
  }[];
  losses: { hint: string; frame: number; reason: string }[];
  tracking: boolean;
  hintsPath: string;
  history: { undo: number; redo: number };
  /** The L this socket's frames are colorized from. */
  view: 'restored' | 'original';
  added?: string;
}

/** A hint with a position on the frame shown. */
type PlacedHint = EditView['hints'][number] & { at: [number, number] };

/** The viewer server's camera limits (hello.camera). */
interface CameraLimits {
  enabled: boolean;
  maxBytes: number;
  maxFps: number;
  maxWidth: number;
  maxHeight: number;
}

/** A live hint as the server lists it ("hints"). */
interface LiveHint {
  id: string;
  color: string;
  x: number;
  y: number;
  age: number | null;
}

/** Where the live hints are on one frame ("hints-at": [id, x, y] each). */
interface HintsAt {
  type: 'hints-at';
  seq: number;
  hints: [string, number, number][];
}
