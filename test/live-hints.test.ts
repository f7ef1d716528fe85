// Colour hints on live sources. The hint messages' validation (a table); the live hint list on
// synthetic frames with known motion (it follows a moving disc, ends on a scene cut, loses a point
// that leaves the frame, keeps to its cap, and what following 16 hints costs per frame); and a real
// server on loopback, playing a generated clip at its rate with the hint-echo fixture as the model
// (it paints a hint's colour exactly where the hint planes put it, a green elsewhere): a hint sent
// with the token colours the frames after it at the tracked point, which moves with the disc,
// while a server without the token, a model without a hints input, and the 17th hint are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { parseControl, MAX_CONTROL_BYTES, type HintRequest } from '../src/server/control.js';
import { LiveHints, MAX_LIVE_HINTS, type LiveHintLoss } from '../src/server/live-hints.js';
import { startServer, decodeFrameMessage, type ServerHandle, type ServerOptions, type FrameHeader } from '../src/server/index.js';
import { loadModel } from '../src/model/load-model.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import type { ModelFrame } from '../src/core/frames.js';
import { srgbToLab } from '../src/color/lab.js';
import { hexToAb } from '../src/hints/hints-file.js';
import { ECHO_FALLBACK_AB, makeHintEchoFixture, makeLogitsFixture } from './helpers/model-fixtures.js';
import { movingScene } from './helpers/synthetic.js';
import { tempDir, writeMovingScene } from './helpers/media.js';
import { until } from './helpers/until.js';

const text = (s: string) => Buffer.from(s, 'utf8');
const parse = (s: string, width = 320, height = 240) => parseControl(text(s), false, { smoothAvailable: true, width, height });

test('hint messages: valid ones parse to what the server uses', () => {
  const ok: [string, unknown][] = [
    ['{"type":"hint","x":10,"y":20,"color":"#FF0000"}', { x: 10, y: 20, color: '#ff0000', ab: hexToAb('#ff0000') }],
    ['{"type":"hint","x":0,"y":239,"color":"#00ff00","size":12,"frame":7}', { x: 0, y: 239, color: '#00ff00', ab: hexToAb('#00ff00'), size: 12, frame: 7 }],
    ['{"type":"hint","x":319,"y":0.25,"color":"#123abc","size":240,"frame":0}', { x: 319, y: 0.25, color: '#123abc', ab: hexToAb('#123abc'), size: 240, frame: 0 }],
  ];
  for (const [msg, hint] of ok) {
    const r = parse(msg);
    assert.ok(r.ok, `refused: ${msg}: ${r.ok ? '' : r.error}`);
    assert.deepEqual(r.message, { type: 'hint', hint: hint as HintRequest });
  }
  assert.deepEqual(parse('{"type":"unhint","id":"h3"}'), { ok: true, message: { type: 'unhint', id: 'h3' } });
  assert.deepEqual(parse('{"type":"clear-hints"}'), { ok: true, message: { type: 'clear-hints' } });
});

test('hint messages: every malformed one is refused with one clear message', () => {
  const bad: [string, RegExp, number?, number?][] = [
    ['{"type":"hint","y":1,"color":"#ff0000"}', /"x" must be a number in \[0, 319\]/],
    ['{"type":"hint","x":1,"color":"#ff0000"}', /"y" must be a number in \[0, 239\]/],
    ['{"type":"hint","x":"1","y":1,"color":"#ff0000"}', /"x" must be a number/],
    ['{"type":"hint","x":-1,"y":1,"color":"#ff0000"}', /"x" must be a number in \[0, 319\]/],
    ['{"type":"hint","x":320,"y":1,"color":"#ff0000"}', /"x" must be a number in \[0, 319\]/],
    ['{"type":"hint","x":319.5,"y":1,"color":"#ff0000"}', /"x" must be a number in \[0, 319\]/],
    ['{"type":"hint","x":1,"y":240,"color":"#ff0000"}', /"y" must be a number in \[0, 239\]/],
    ['{"type":"hint","x":1e999,"y":1,"color":"#ff0000"}', /"x" must be a number/],
    ['{"type":"hint","x":null,"y":1,"color":"#ff0000"}', /"x" must be a number/],
    ['{"type":"hint","x":1,"y":1}', /"color" must be an sRGB hex colour "#rrggbb"/],
    ['{"type":"hint","x":1,"y":1,"color":"red"}', /"color" must be/],
    ['{"type":"hint","x":1,"y":1,"color":"#f00"}', /"color" must be/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff00000"}', /"color" must be/],
    ['{"type":"hint","x":1,"y":1,"color":"#gg0000"}', /"color" must be/],
    ['{"type":"hint","x":1,"y":1,"color":16711680}', /"color" must be/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000","size":0}', /"size" must be an integer in \[1, 240\]/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000","size":2.5}', /"size" must be an integer/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000","size":241}', /"size" must be an integer in \[1, 240\]/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000","size":"9"}', /"size" must be an integer/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000","frame":-1}', /"frame" must be the seq of a frame/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000","frame":1.5}', /"frame" must be the seq/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000","frame":"3"}', /"frame" must be the seq/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000","id":"mine"}', /unknown field "id" for type "hint"/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000","ab":[1,2]}', /unknown field "ab" for type "hint"/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000","__proto__":{"size":3}}', /unknown field "__proto__"/],
    ['{"type":"hint","x":1,"y":1,"color":"#ff0000"}', /no frame from the source yet/, 0, 0],
    ['{"type":"unhint"}', /"id" must be a hint id/],
    ['{"type":"unhint","id":""}', /"id" must be a hint id/],
    ['{"type":"unhint","id":7}', /"id" must be a hint id/],
    [`{"type":"unhint","id":"${'h'.repeat(65)}"}`, /"id" must be a hint id \(a string of 1..64 characters\)/],
    ['{"type":"unhint","id":"h1","all":true}', /unknown field "all" for type "unhint"/],
    ['{"type":"clear-hints","id":"h1"}', /unknown field "id" for type "clear-hints"/],
    ['{"type":"hints"}', /unknown type "hints"/],
    [`{"type":"hint","x":1,"y":1,"color":"#ff0000","pad":"${'x'.repeat(MAX_CONTROL_BYTES)}"}`, /message too large/],
  ];
  for (const [msg, want, w, h] of bad) {
    const r = parse(msg, w, h);
    assert.equal(r.ok, false, `accepted: ${msg.slice(0, 80)}`);
    if (!r.ok) {
      assert.match(r.error, want, msg.slice(0, 80));
      assert.ok(r.error.length < 200);
    }
  }
});

// --- The live list on synthetic frames -------------------------------------------------------

const MW = 160, MH = 120;

/** Frame `t` of the moving scene as the hints stage sees it: model L, input pixels twice as many. */
function frameAt(t: number, L = movingScene(MW, MH, t)): ModelFrame {
  return { index: t, pts: null, width: 2 * MW, height: 2 * MH, modelWidth: MW, modelHeight: MH, modelL: L } as unknown as ModelFrame;
}
const hint = (x: number, y: number, extra: Partial<HintRequest> = {}): HintRequest => ({ x, y, color: '#ff0000', ab: [80, 67], ...extra });
/** The disc's centre in frame t, input pixels (movingScene: w * 0.2 + 2.5 t at model resolution). */
const discX = (t: number) => ((MW * 0.2 + 2.5 * t + 0.5) * 2) - 0.5;

test('live hints: a hint follows the moving disc frame by frame; the positions are on each frame', () => {
  const lost: { id: string; reason: LiveHintLoss; seq: number }[] = [];
  const live = new LiveHints({ onLost: (l, seq) => lost.push(...l.map((x) => ({ ...x, seq }))) });
  assert.equal(live.provider(0, frameAt(0)), null, 'no hints: nothing to rasterize');
  const onDisc = live.add(hint(discX(2), MH - 0.5, { frame: 1 }))!;
  const onBg = live.add(hint(260, 220))!;
  assert.deepEqual(live.list().map((h) => h.since), [null, null], 'waiting for the next frame');
  for (let t = 2; t <= 30; t++) {
    const f = frameAt(t);
    const r = live.provider(t, f);
    assert.ok(r && r.length === 2, `frame ${t}: ${r?.length} hints`);
    const at = LiveHints.positionsOf(f)!;
    assert.equal(at[0][0], onDisc);
    // On the disc, within 2 input pixels of where it is.
    assert.ok(Math.abs(at[0][1] - discX(t)) < 2, `frame ${t}: hint at ${at[0][1]}, disc at ${discX(t)}`);
    assert.ok(Math.abs(r[0].x - at[0][1]) < 0.06);
  }
  assert.deepEqual(lost, []);
  const [d, b] = live.list();
  assert.equal(d.since, 2);
  assert.equal(d.age, 1);
  assert.equal(b.age, null);
  // The background pans (1.2, 0.5) model px a frame the other way: 28 frames = (-67, -28) input px.
  assert.equal(b.id, onBg);
  assert.ok(Math.abs(b.x - (260 - 2 * 1.2 * 28)) < 3 && Math.abs(b.y - (220 - 2 * 0.5 * 28)) < 3, `background hint at ${b.x}, ${b.y}`);
});

test('live hints: a scene cut ends every hint; leaving the frame is reported; the cap holds', () => {
  const lost: { id: string; reason: LiveHintLoss; seq: number }[] = [];
  const live = new LiveHints({ onLost: (l, seq) => lost.push(...l.map((x) => ({ ...x, seq }))) });
  live.add(hint(discX(0), MH));
  live.add(hint(100, 100));
  for (let t = 0; t < 5; t++) live.provider(t, frameAt(t));
  // A different shot: a flat, darker picture with a new histogram.
  const other = new Float32Array(MW * MH).map((_, i) => 15 + (i % 7));
  assert.equal(live.provider(5, frameAt(5, other)), null);
  assert.deepEqual(lost.map((l) => [l.reason, l.seq]), [['scene-cut', 5], ['scene-cut', 5]]);
  assert.equal(live.size, 0);

  // The background pans left: a point near the left edge leaves the picture.
  lost.length = 0;
  live.add(hint(6, 100));
  for (let t = 10; t < 20 && lost.length === 0; t++) live.provider(t, frameAt(t));
  assert.equal(lost.length, 1);
  assert.equal(lost[0].reason, 'outside');

  for (let i = 0; i < MAX_LIVE_HINTS; i++) assert.ok(live.add(hint(50 + i, 50)));
  assert.equal(live.add(hint(10, 10)), null, 'one too many');
  assert.ok(live.remove(live.list()[3].id));
  assert.equal(live.remove('h9999'), false);
  assert.ok(live.add(hint(10, 10)));
  assert.equal(live.clear(), MAX_LIVE_HINTS);
});

test('live hints: the cost of following 16 hints per frame', (t) => {
  const frames = Array.from({ length: 40 }, (_, i) => frameAt(i));
  const cost = (n: number) => {
    const live = new LiveHints({ onLost: () => {} });
    for (let i = 0; i < n; i++) live.add(hint(60 + 12 * (i % 8), 80 + 40 * Math.floor(i / 8)));
    let total = 0, count = 0;
    for (let i = 0; i < frames.length; i++) {
      const t0 = performance.now();
      live.provider(i, frames[i]);
      if (i >= 10) {
        total += performance.now() - t0;
        count++;
      }
    }
    return total / count;
  };
  cost(16); // warm up
  const one = cost(1), sixteen = cost(16);
  t.diagnostic(`per frame at ${MW}x${MH}: 1 hint ${one.toFixed(2)} ms, 16 hints ${sixteen.toFixed(2)} ms`);
  // Generous bound (a loaded 2-core machine): a few ms, far below one inference.
  assert.ok(sixteen < 25, `16 hints cost ${sixteen} ms a frame`);
});

// --- A real server ---------------------------------------------------------------------------

const W = 320, H = 240, FPS = 15;
const tmp = tempDir('chroma-livehints-');
let echo: LoadedModel;
let logits: LoadedModel;
let clip: string;

before(async () => {
  writeFileSync(join(tmp.dir, 'echo.onnx'), makeHintEchoFixture());
  writeFileSync(join(tmp.dir, 'logits.onnx'), makeLogitsFixture());
  echo = await loadModel(join(tmp.dir, 'echo.onnx'), { device: 'cpu', threads: 1, log: () => {} });
  logits = await loadModel(join(tmp.dir, 'logits.onnx'), { device: 'cpu', threads: 1, log: () => {} });
  // The moving scene at 320x240 (the disc moves 2.5 px a frame), gray, lossless, 12 s at 15 fps.
  clip = writeMovingScene(join(tmp.dir, 'scene.mkv'), W, H, 180, FPS, 0.5);
});
after(async () => {
  await echo?.release();
  await logits?.release();
  tmp.cleanup();
});

function serve(extra: Partial<ServerOptions> = {}): Promise<ServerHandle> {
  return startServer({ input: clip, model: echo, size: 120, port: 0, log: () => {}, ...extra });
}

interface Viewer {
  ws: WebSocket;
  json: Record<string, unknown>[];
  frames: { header: FrameHeader; jpeg: Buffer }[];
}

function connect(srv: ServerHandle, query = ''): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws${query}`);
    const v: Viewer = { ws, json: [], frames: [] };
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) v.json.push(JSON.parse(data.toString()) as Record<string, unknown>);
      else {
        const f = decodeFrameMessage(data);
        if (f) v.frames.push(f);
      }
    });
    ws.once('open', () => resolve(v));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

const ofType = (v: Viewer, type: string, from = 0) => v.json.slice(from).filter((m) => m.type === type);

/** Mean Lab a, b of the (2r+1)^2 pixels around (x, y) of a JPEG frame. */
async function abAt(jpeg: Buffer, x: number, y: number, r = 2): Promise<[number, number]> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  let a = 0, b = 0, n = 0;
  for (let j = Math.round(y) - r; j <= Math.round(y) + r; j++) for (let i = Math.round(x) - r; i <= Math.round(x) + r; i++) {
    const k = (j * info.width + i) * info.channels;
    const [, pa, pb] = srgbToLab(data[k], data[k + 1], data[k + 2]);
    a += pa;
    b += pb;
    n++;
  }
  return [a / n, b / n];
}
const dist = (p: readonly number[], q: readonly number[]) => Math.hypot(p[0] - q[0], p[1] - q[1]);

test('server: a hint sent with the token colours the frames after it at its tracked point', async () => {
  const token = 'live-hints-token';
  // Looped: on a slow machine the 12-s clip could end before the last checks (the positions
  // checked first come from its first seconds).
  const srv = await serve({ token, loop: true });
  try {
    // A socket without the token never gets in.
    await assert.rejects(connect(srv), (e: { status?: number }) => e.status === 401);
    const v = await connect(srv, `?token=${token}`);
    const other = await connect(srv, `?token=${token}`);
    await until('frames', () => v.frames.length >= 3);
    const hello = v.json[0] as { hints: { enabled: boolean; max: number; list: unknown[] } };
    assert.deepEqual({ ...hello.hints, list: hello.hints.list.length }, { enabled: true, reason: null, max: MAX_LIVE_HINTS, list: 0 });

    const shown = v.frames[v.frames.length - 1].header.seq;
    // The disc's centre in the clip: x = 0.2 W + 1.25 t (movingScene at t/2), y = H/2.
    const x0 = W * 0.2 + 1.25 * shown + 4;
    const color = '#e01890', want = hexToAb(color)!;
    const before = v.json.length;
    v.ws.send(JSON.stringify({ type: 'hint', x: x0, y: H / 2, color, size: 12, frame: shown }));
    const added = await until('hint-added', () => ofType(v, 'hint-added', before)[0]) as { id: string };
    assert.equal(added.id, 'h1');
    // Everyone is told of the list.
    const list = await until('hints list to the other viewer', () => ofType(other, 'hints').at(-1)) as { hints: { id: string; color: string }[] };
    assert.deepEqual(list.hints.map((h) => [h.id, h.color]), [['h1', color]]);

    // Positions per frame, then frames carrying them: 20 frames on, the hint has moved with the disc.
    const at = await until('20 frames of positions', () => {
      const all = ofType(v, 'hints-at', before) as { seq: number; hints: [string, number, number][] }[];
      return all.length >= 20 ? all : null;
    }, 30000);
    const first = at[0], last = at[at.length - 1];
    assert.ok(first.seq > shown, 'starts on a frame after the one clicked');
    const moved = last.hints[0][1] - first.hints[0][1], frames = last.seq - first.seq;
    assert.ok(Math.abs(moved - 1.25 * frames) < 4, `moved ${moved} px in ${frames} frames (disc: ${1.25 * frames})`);
    assert.ok(Math.abs(last.hints[0][2] - H / 2) < 3, `y ${last.hints[0][2]}`);
    // Once applied, the list says on which frame and how many frames after the one clicked.
    const started = (ofType(v, 'hints', before) as { hints: { since: number | null; age: number | null }[] }[]).find((m) => m.hints[0]?.since !== null);
    assert.ok(started, 'the list was announced again when the hint started');
    assert.equal(started.hints[0].since, first.seq);
    assert.equal(started.hints[0].age, first.seq - shown);
    const lastSeq = last.seq;
    const frame = await until('the frame of the last positions', () => v.frames.find((f) => f.header.seq === lastSeq), 10000);
    const here = await abAt(frame.jpeg, last.hints[0][1], last.hints[0][2]);
    // The hint's colour (within the annealed mean's bin quantisation and the JPEG), not the fallback.
    assert.ok(dist(here, want) < 20 && dist(here, ECHO_FALLBACK_AB) > 60, `at the hint: ab ${here.map((q) => q.toFixed(1))}, want ${want.map((q) => q.toFixed(1))}`);
    const far = await abAt(frame.jpeg, W - 12, 12);
    assert.ok(dist(far, ECHO_FALLBACK_AB) < 12, `far from it: ab ${far.map((q) => q.toFixed(1))}`);

    // The cap: 15 more fit, the 17th is refused with one message.
    for (let i = 1; i < MAX_LIVE_HINTS; i++) v.ws.send(JSON.stringify({ type: 'hint', x: 20 + 10 * i, y: 200, color: '#00ff00' }));
    await until('16 hints', () => (ofType(v, 'hints').at(-1) as { hints: unknown[] }).hints.length === MAX_LIVE_HINTS);
    const e0 = v.json.length;
    v.ws.send(JSON.stringify({ type: 'hint', x: 5, y: 5, color: '#00ff00' }));
    const capErr = await until('cap error', () => ofType(v, 'error', e0)[0]) as { message: string };
    assert.match(capErr.message, /too many live hints \(max 16\)/);

    // unhint and clear-hints reach everyone.
    v.ws.send(JSON.stringify({ type: 'unhint', id: 'h1' }));
    await until('h1 gone', () => !(ofType(other, 'hints').at(-1) as { hints: { id: string }[] }).hints.some((h) => h.id === 'h1'));
    v.ws.send(JSON.stringify({ type: 'unhint', id: 'h1' }));
    await until('unknown id refused', () => ofType(v, 'error', e0).some((m) => /no live hint "h1"/.test(String(m.message))));
    v.ws.send(JSON.stringify({ type: 'clear-hints' }));
    await until('list empty', () => (ofType(other, 'hints').at(-1) as { hints: unknown[] }).hints.length === 0);
    // No positions once cleared (one frame may have been inside the model).
    const from = v.json.length, n = v.frames.length;
    await until('5 frames after clearing', () => v.frames.length >= n + 5);
    assert.ok(ofType(v, 'hints-at', from).length <= 1);
    v.ws.close();
    other.ws.close();
  } finally {
    await srv.close();
  }
});

test('server: hints are refused without --token, and by a model without a hints input', async () => {
  for (const [opts, want] of [
    [{}, /colour hints need a server started with --token/],
    [{ model: logits, token: 't' }, /takes no colour hints/],
  ] as const) {
    const srv = await serve(opts);
    try {
      const v = await connect(srv, 'token' in opts ? '?token=t' : '');
      await until('hello', () => v.json[0]);
      const hello = v.json[0] as { hints: { enabled: boolean; reason: string } };
      assert.equal(hello.hints.enabled, false);
      assert.match(hello.hints.reason, want);
      await until('a frame', () => v.frames.length > 0);
      for (const m of [{ type: 'hint', x: 10, y: 10, color: '#ff0000' }, { type: 'unhint', id: 'h1' }, { type: 'clear-hints' }]) {
        const from = v.json.length;
        v.ws.send(JSON.stringify(m));
        const err = await until(`error for ${m.type}`, () => ofType(v, 'error', from)[0]) as { message: string };
        assert.match(err.message, want);
      }
      assert.equal(ofType(v, 'hints').length, 0, 'no list was announced');
      assert.equal(ofType(v, 'hints-at').length, 0);
      v.ws.close();
    } finally {
      await srv.close();
    }
  }
});
