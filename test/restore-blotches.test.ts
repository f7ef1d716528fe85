// Blotches and tears (src/restore/blotches.ts, blotch-net.ts, operators/restore-blotches.ts) with
// the real parts: the shipped net in onnxruntime-node against the numbers the training script gave for the same
// input, and the stage on a clip decoded by ffmpeg with synthetic blotches on it (one frame, and
// the same place on two frames): found, filled, and the frames without one left exactly as they were.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { from, lastValueFrom, toArray } from 'rxjs';
import { BlotchNet, directionalGuess, NET_SIZE } from '../src/restore/blotch-net.js';
import { BlotchDetector, HOLE } from '../src/restore/blotches.js';
import { RESTORE_PRESETS, type RestoreSettings } from '../src/restore/options.js';
import { restoreStage } from '../src/graph/restore-stage.js';
import { BlotchDamage } from '../src/restore/synthetic-blotches.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { GRAY_TO_L } from '../src/color/lab.js';
import type { LFrame } from '../src/core/frames.js';
import { REPO, tempDir, makeClip } from './helpers/media.js';
import { movingScene, valueNoise } from './helpers/synthetic.js';
import { MotionCompensator } from '../src/restore/motion.js';

const BLOTCHES = RESTORE_PRESETS.auto.blotches!;
const ONLY: RestoreSettings = { flicker: null, dust: null, scratches: null, grain: null, blotches: BLOTCHES };
const W = 320, H = 180, FRAMES = 24;
/** A development clip when this machine has one (real footage), else ffmpeg's moving test pattern. */
const DEV_CLIP = '/work/shared/data/videos/sam2_dog.mp4';

let tmp: ReturnType<typeof tempDir>;
let clean: Float32Array[] = [];

before(() => {
  tmp = tempDir('chroma-blotch-');
  const src = existsSync(DEV_CLIP) ? DEV_CLIP : makeClip(join(tmp.dir, 'pattern.mp4'), { width: W, height: H, seconds: 2 });
  const raw = execFileSync(FFMPEG, ['-v', 'error', '-i', src, '-frames:v', String(FRAMES), '-vf', `scale=${W}:${H}:flags=area`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { maxBuffer: 1 << 26 });
  clean = [];
  for (let k = 0; k + W * H <= raw.length; k += W * H) clean.push(Float32Array.from(raw.subarray(k, k + W * H), (c) => GRAY_TO_L[c]!));
  assert.equal(clean.length, FRAMES);
});
after(() => tmp.cleanup());

/** Paints a wobbly blob of `value` centred at (cx, cy), radii rx, ry; returns its pixels. */
function blob(L: Float32Array, cx: number, cy: number, rx: number, ry: number, value: number): number[] {
  const px: number[] = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = (x + 0.5 - cx) / rx, v = (y + 0.5 - cy) / ry;
      const edge = 1 + 0.15 * Math.sin(3 * Math.atan2(v, u)) + 0.08 * Math.sin(5 * Math.atan2(v, u) + 1);
      if (Math.hypot(u, v) > edge) continue;
      L[y * W + x] = value;
      px.push(y * W + x);
    }
  }
  return px;
}

/** Paints a disc of L 5 (dark as a blotch) centred at (cx, cy), radius r, on a plane `w` wide; returns the plane. */
function darkDisc(L: Float32Array, w: number, cx: number, cy: number, r: number): Float32Array {
  const h = L.length / w;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) L[y * w + x] = 5;
  return L;
}

function psnrOver(L: Float32Array, ref: Float32Array, px: number[]): number {
  const mse = px.reduce((s, i) => s + (L[i]! - ref[i]!) ** 2, 0) / px.length;
  return 10 * Math.log10(10000 / Math.max(mse, 1e-9));
}

async function restore(frames: Float32Array[], settings: RestoreSettings): Promise<Float32Array[]> {
  const records = frames.map((L, index) => ({ index, pts: index / 25, width: W, height: H, rgb: Buffer.alloc(0), L: L.slice(), gray: true }) as LFrame);
  const out = await lastValueFrom(from(records).pipe(restoreStage(settings), toArray()));
  return out.map((f) => f.L);
}

test('blotch net: onnxruntime-node gives what the training script (training/inpaint/train.py) gave for the same window', async () => {
  const check = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'blotch-inpaint-check.json'), 'utf8')) as { size: number; L: number[]; mask: number[]; guess: number[]; near: number[]; spread: number[]; filled: number[] };
  assert.equal(check.size, NET_SIZE);
  const L = Float32Array.from(check.L), mask = Float32Array.from(check.mask);
  // The directional guess restore computes in TypeScript is the one the training script computed.
  const guess = directionalGuess(L, mask, 1);
  let dg = 0;
  for (let i = 0; i < guess.length; i++) dg = Math.max(dg, Math.abs(guess[i]! - check.guess[i]!));
  assert.ok(dg < 1e-4, `guess differs by ${dg}`);
  const net = await BlotchNet.load();
  assert.ok(net.temporal, 'the shipped net takes the frames around');
  const out = await net.run(L, mask, 1, { near: Float32Array.from(check.near), spread: Float32Array.from(check.spread) });
  let d = 0, changed = 0;
  for (let i = 0; i < out.length; i++) {
    d = Math.max(d, Math.abs(out[i]! - check.filled[i]!));
    if (check.mask[i] && Math.abs(out[i]! - guess[i]!) > 1e-3) changed++;
  }
  assert.ok(d < 1e-3, `onnxruntime and the training script differ by ${d}`);
  // Outside the hole the input passes; inside, the net changed the directional guess.
  for (let i = 0; i < out.length; i++) if (!check.mask[i]) assert.ok(Math.abs(out[i]! - L[i]!) < 1e-5);
  assert.ok(changed > 0, 'the net adds something to the directional fill');
});

test('BlotchDetector on a still scene: a one-frame blotch and a two-frame one are found; a moving object is not', () => {
  const w = 96, h = 64;
  const scene = movingScene(w, h, 0);
  const det = new BlotchDetector(w, h);
  const frame = (paint?: (L: Float32Array) => void) => {
    const L = scene.slice();
    paint?.(L);
    return L;
  };
  const spot = (L: Float32Array, cx: number, cy: number, r: number, v: number) => {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) L[y * w + x] = v;
  };
  const cur = frame((L) => spot(L, 40, 30, 12, 5));
  // One frame: both direct neighbours and both witnesses are clean.
  let r = det.detect(cur, { p1: frame(), n1: frame(), p2: frame(), n2: frame() }, BLOTCHES);
  assert.equal(r.boxes.length, 1);
  assert.ok(det.holes() >= Math.PI * 144, `${det.holes()} pixels marked`);
  // Two frames: the next frame has it too, the witnesses two away do not.
  r = det.detect(cur, { p1: frame(), n1: cur.slice(), p2: frame(), n2: frame() }, BLOTCHES);
  assert.equal(r.boxes.length, 1);
  // A dark thing that is 14 px to the left in the frames before and to the right after: motion.
  r = det.detect(cur, { p1: frame((L) => spot(L, 26, 30, 12, 5)), n1: frame((L) => spot(L, 54, 30, 12, 5)), p2: frame((L) => spot(L, 12, 30, 12, 5)), n2: frame((L) => spot(L, 68, 30, 12, 5)) }, BLOTCHES);
  assert.equal(r.boxes.length, 0);
  assert.equal(det.holes(), 0);
  det.clear();
  assert.ok(det.mask.every((m) => m === 0));
  assert.notEqual(HOLE, 0);
});

test('BlotchDetector: a blob whose content is on a frame within two, elsewhere (its track), is motion; damage, and a patch of one tone over a still part of that tone, are not', () => {
  const w = 120, h = 64;
  const scene = movingScene(w, h, 0);
  const det = new BlotchDetector(w, h);
  /** A textured dark patch (a thing in the scene) or a flat one (damage) of radius 11 at (cx, 30). */
  const patch = (L: Float32Array, cx: number, textured: boolean) => {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - 30) ** 2 <= 121) L[y * w + x] = textured ? 4 + 10 * valueNoise((x - cx) / 2, y / 2, 3) : 5;
    }
  };
  const withPatch = (cx: number, textured: boolean) => {
    const L = scene.slice();
    patch(L, cx, textured);
    return L;
  };
  // The warped witnesses lost the thing (as on a pan the flow did not follow); the frames as they
  // are hold it 36 px to the left before and to the right after.
  const wt = (cur: Float32Array, track: Float32Array[]) => ({ p1: scene, n1: scene, p2: scene, n2: scene, track: track.map((plane, k) => ({ plane, dx: 0, dy: 0, direct: k === 1 || k === 2 })) });
  const thing = withPatch(60, true);
  assert.equal(det.detect(thing, wt(thing, []), BLOTCHES).boxes.length, 1, 'without its track it passes for a blotch');
  const moved = [withPatch(24, true), withPatch(42, true), withPatch(78, true), withPatch(96, true)];
  assert.equal(det.detect(thing, wt(thing, moved), BLOTCHES).boxes.length, 0, 'its track: motion');
  // Damage: in no other frame.
  const spot = withPatch(60, false);
  assert.equal(det.detect(spot, wt(spot, [scene, scene, scene, scene]), BLOTCHES).boxes.length, 1);
  // A flat spot of the tone of a still dark patch 36 px away, which this frame shows too: no track.
  const still = (L: Float32Array) => {
    patch(L, 96, false);
    return L;
  };
  const spot2 = still(withPatch(60, false));
  const others = [still(scene.slice()), still(scene.slice()), still(scene.slice()), still(scene.slice())];
  assert.equal(det.detect(spot2, { ...wt(spot2, others), p1: others[0]!, n1: others[0]!, p2: others[0]!, n2: others[0]! }, BLOTCHES).boxes.length, 1);
  det.clear();
});

test('BlotchDetector: a tape hit in place on a direct neighbour (not a flat area of its tone, the scene moved around it) is kept though the frames around hold something as dark nearby (a busy street on a pan)', () => {
  const w = 128, h = 96;
  const scene = movingScene(w, h, 0);
  const det = new BlotchDetector(w, h);
  const spot = (L: Float32Array) => darkDisc(L, w, 48, 40, 12);
  // Something as dark as the hit 4 px beside it in every frame around, not in this one.
  const busy = (L: Float32Array) => {
    for (let y = 28; y <= 52; y++) for (let x = 64; x <= 76; x++) L[y * w + x] = 5;
    return L;
  };
  const cur = spot(scene.slice());
  const around = busy(scene.slice());
  const hit = (det: BlotchDetector) => det.mask[40 * w + 48] === HOLE;
  det.detect(cur, { p1: around, n1: around, p2: around, n2: around }, BLOTCHES);
  assert.ok(!hit(det), 'not in place anywhere: taken for the dark thing, moved');
  // The frame before, as it came, holds the hit in place while the scene moved under it: a tape
  // hit. Its track (none here) judges it, not the dark thing nearby.
  det.detect(cur, { p1: around, n1: around, p2: around, n2: around, raw: [spot(busy(movingScene(w, h, -10))), around] }, BLOTCHES);
  assert.ok(hit(det), 'the tape hit is found');
  // The same copy in place where the scene around it stands still too (a repeated frame, a still
  // camera): what the scene itself would show, no sign of a tape hit.
  det.detect(cur, { p1: around, n1: around, p2: around, n2: around, raw: [spot(busy(scene.slice())), around] }, BLOTCHES);
  assert.ok(!hit(det), 'the scene around stood still: the dark thing nearby judges it');
  // A flat area of its tone that it lies in on the frame before (a dark wall that panned over it) is no copy of it.
  const wall = busy(scene.slice());
  for (let y = 16; y <= 64; y++) for (let x = 24; x <= 80; x++) wall[y * w + x] = 5;
  det.detect(cur, { p1: around, n1: around, p2: around, n2: around, raw: [wall, around] }, BLOTCHES);
  assert.ok(!hit(det), 'inside a flat area of its tone: not in place');
  det.clear();
});

test('BlotchDetector: a tape pair over what the camera follows (in place on one direct neighbour only, the scene around standing still) is kept among scattered dark pixels, not beside a whole dark thing, nor on a repeated frame', () => {
  const w = 128, h = 96;
  const scene = movingScene(w, h, 0);
  const det = new BlotchDetector(w, h);
  const spot = (L: Float32Array) => darkDisc(L, w, 48, 40, 12);
  // The part of the frame the camera does not follow (x >= 96) pans: another scene each frame.
  const panned = (L: Float32Array, by: number) => {
    const other = movingScene(w, h, by);
    for (let y = 0; y < h; y++) for (let x = 96; x < w; x++) L[y * w + x] = other[y * w + x]!;
    return L;
  };
  // The frames around as the warp leaves them on a busy pan: isolated dark pixels all around the
  // hit (beyond the margin the flow is checked on), as many as the hit has pixels, none connected
  // (on odd rows and columns: the noise level is taken on every fourth).
  const scattered = (L: Float32Array) => {
    for (let y = 1; y < h; y += 2) for (let x = 1; x < w; x += 2) if (Math.max(Math.abs(x - 48), Math.abs(y - 40)) > 20) L[y * w + x] = 5;
    return L;
  };
  const cur = spot(scene.slice());
  const around = scattered(scene.slice());
  const hit = () => det.mask[40 * w + 48] === HOLE;
  const witnesses = { p1: around, n1: around, p2: around, n2: around };
  det.detect(cur, witnesses, BLOTCHES);
  assert.ok(!hit(), 'no copy in place anywhere: the dark pixels nearby judge it');
  // The hit is in place on the next frame as it came, not on the one before; the scene around it
  // stood still (the car the camera follows) while the rest of the frame panned.
  const raw = [panned(scene.slice(), 10), spot(panned(scene.slice(), -10))];
  det.detect(cur, { ...witnesses, raw }, BLOTCHES);
  assert.ok(hit(), 'a tape pair among scattered pixels is kept');
  // A thing as dark beside it in every frame around, whole: something that paused for two frames.
  const thing = (L: Float32Array) => {
    for (let y = 28; y <= 52; y++) for (let x = 70; x <= 84; x++) L[y * w + x] = 5;
    return L;
  };
  const withThing = thing(around.slice());
  det.detect(cur, { p1: withThing, n1: withThing, p2: withThing, n2: withThing, raw }, BLOTCHES);
  assert.ok(!hit(), 'a whole dark thing nearby: it paused, no tape pair');
  // The next frame a repeat of this one (nothing moved anywhere): its copy in place proves nothing.
  det.detect(cur, { ...witnesses, raw: [raw[0]!, cur.slice()] }, BLOTCHES);
  assert.ok(!hit(), 'a repeated frame makes no tape pair');
  det.clear();
});

test('BlotchDetector by the frame\'s edge on a pan: a large blotch reaching a little into what came into view is kept; a small thing there is not', () => {
  const w = 128, h = 96;
  const scene = movingScene(w, h, 0);
  const det = new BlotchDetector(w, h);
  const disc = (L: Float32Array, cx: number, r: number) => darkDisc(L, w, cx, 48, r);
  // A witness was sampled beyond its frame in the last 6 columns (the pan brought them into view).
  const outside = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = w - 6; x < w; x++) outside[y * w + x] = 1;
  const witnesses = { p1: scene, n1: scene, p2: scene, n2: scene, outside };
  det.detect(disc(scene.slice(), 108, 16), witnesses, BLOTCHES);
  assert.equal(det.mask[48 * w + 108], HOLE, 'a 32 px blotch, a few per cent of it where the view is new: kept');
  det.detect(disc(scene.slice(), 119, 6), witnesses, BLOTCHES);
  assert.notEqual(det.mask[48 * w + 119], HOLE, 'a 12 px thing reaching the new view: left alone');
  det.clear();
});

test('MotionCompensator on a fast pan: the camera shift is found, and frames four apart warp onto the middle one', () => {
  const w = 320, h = 180, speed = 18;
  // A textured wall panning `speed` px a frame: frame t shows the wall from x + speed t.
  const frame = (t: number) => Float32Array.from({ length: w * h }, (_, i) => {
    const x = (i % w) + speed * t, y = Math.floor(i / w);
    return 20 + 40 * valueNoise(x / 11, y / 11, 5) + 20 * valueNoise(x / 4, y / 4, 6);
  });
  const mc = new MotionCompensator(w, h);
  const low = (L: Float32Array) => {
    const o = new Float32Array(mc.lowWidth * mc.lowHeight);
    mc.reduce(L, o);
    return o;
  };
  const f = [0, 1, 2, 3, 4].map(frame);
  const lows = f.map(low);
  const shift = mc.cameraShift(lows[1]!, lows[0]!);
  // Frame 0 at x + dx shows what frame 1 shows at x: the wall moved left by `speed`.
  assert.equal(shift.dx, speed / mc.factor);
  assert.equal(shift.dy, 0);
  const error = (pan?: { dx: number; dy: number }) => {
    const a = new Float32Array(w * h), b = new Float32Array(w * h);
    mc.estimate(lows[4]!, lows[0]!, undefined, pan);
    mc.warp(f[0]!, 0.5, a);
    mc.warp(f[4]!, -0.5, b);
    let s = 0, n = 0;
    // Away from the edges, where the frames four apart hold the middle frame's content.
    for (let y = 10; y < h - 10; y++) for (let x = 2 * speed + 10; x < w - 2 * speed - 10; x++, n++) s += Math.abs(a[y * w + x]! - f[2]![y * w + x]!) + Math.abs(b[y * w + x]! - f[2]![y * w + x]!);
    return s / (2 * n);
  };
  const plain = error(), panned = error({ dx: 4 * shift.dx, dy: 0 });
  assert.ok(panned < 1.5, `warped with the pan: ${panned.toFixed(2)} L from the middle frame`);
  assert.ok(panned < plain / 3, `${panned.toFixed(2)} against ${plain.toFixed(2)} L without the pan`);
});

test('restore blotches on a clip decoded by ffmpeg: a one-frame blotch and a two-frame tape hit are filled (>= 10 dB over their pixels), other frames untouched', async () => {
  const damaged = clean.map((L) => L.slice());
  const one = blob(damaged[8]!, 50, 70, 20, 14, 6);
  const two = blob(damaged[14]!, 220, 60, 26, 7, 95);
  blob(damaged[15]!, 220, 60, 26, 7, 95);
  const restored = await restore(damaged, ONLY);
  for (const [name, t, px] of [['one frame', 8, one], ['two frames, first', 14, two], ['two frames, second', 15, two]] as const) {
    const pd = psnrOver(damaged[t]!, clean[t]!, px), pr = psnrOver(restored[t]!, clean[t]!, px);
    assert.ok(pr >= pd + 10, `${name}: ${pd.toFixed(1)} -> ${pr.toFixed(1)} dB over the blotch`);
  }
  for (let t = 0; t < FRAMES; t++) {
    if (t === 8 || t === 14 || t === 15) continue;
    assert.deepEqual(restored[t], damaged[t], `frame ${t} (no blotch) is left exactly as it was`);
  }
});

test('restore blotches: the generator\'s blotches on the clip, learned fill at least as good as the directional fill over their pixels', async () => {
  const gen = new BlotchDamage(W, H, { perFrame: 1, seed: 3, maxExtent: 60 });
  const damaged = clean.map((L) => L.slice());
  const truth = damaged.map((L) => gen.apply(L));
  // Spatial fill alone, so that the two fills are compared on every blotch pixel.
  const fill = (f: 'net' | 'directional') => restore(damaged, { ...ONLY, blotches: { ...BLOTCHES, fromFrames: false, fill: f } });
  const [net, dir] = [await fill('net'), await fill('directional')];
  let sn = 0, sd = 0, n = 0;
  truth.forEach((list, t) => {
    for (const b of list) {
      for (const i of b.pixels) {
        sn += (net[t]![i]! - clean[t]![i]!) ** 2;
        sd += (dir[t]![i]! - clean[t]![i]!) ** 2;
        n++;
      }
    }
  });
  assert.ok(n > 500, `${n} blotch pixels`);
  const pNet = 10 * Math.log10(10000 / (sn / n)), pDir = 10 * Math.log10(10000 / (sd / n));
  assert.ok(pNet >= pDir, `net ${pNet.toFixed(2)} dB, directional ${pDir.toFixed(2)} dB`);
});
