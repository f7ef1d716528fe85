// Marble specs of the restoration stages (src/operators/restore-*.ts): when each emits, what it
// holds back, what it lends, and that errors and completion pass through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map, from, toArray, lastValueFrom, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { restoreFlicker } from '../src/operators/restore-flicker.js';
import { restoreMotion } from '../src/operators/restore-motion.js';
import { restoreDust } from '../src/operators/restore-dust.js';
import { restoreGrain } from '../src/operators/restore-grain.js';
import { restoreScratches } from '../src/operators/restore-scratches.js';
import { restoreStage, restoreHold } from '../src/graph/restore-stage.js';
import { neighboursOf } from '../src/restore/motion.js';
import { RESTORE_PRESETS, parseRestoreOption } from '../src/restore/options.js';
import { FilmDamage } from '../src/restore/synthetic-damage.js';
import { psnrL } from '../src/metrics/image-quality.js';
import type { LFrame } from '../src/core/frames.js';
import { movingScene, valueNoise } from './helpers/synthetic.js';

const W = 48, H = 32;
const AUTO = RESTORE_PRESETS.auto;

function frame(index: number, L = movingScene(W, H, index)): LFrame {
  return { index, pts: index / 25, width: W, height: H, rgb: Buffer.alloc(0), L, gray: false };
}

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const values = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => ['abcdefgh'[i], frame(i)]));
const indices = Object.fromEntries(Array.from({ length: 8 }, (_, i) => ['abcdefgh'[i], i]));

test('restore-flicker (look-ahead W): frame t leaves when t+W arrives; the rest on completion', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('-a-b-c-d-|', values(4));
    const out = src.pipe(restoreFlicker({ ...AUTO.flicker!, window: 2 }), map((f) => f.index));
    expectObservable(out).toBe('-----a-b-(cd|)', indices);
  });
});

test('restore-flicker (causal): every frame at once; errors pass through', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('-a-b-c-|', values(3)).pipe(restoreFlicker(AUTO.flicker!, { mode: 'causal' }), map((f) => f.index))).toBe('-a-b-c-|', indices);
    expectObservable(cold('-a-b-#', values(2)).pipe(restoreFlicker({ ...AUTO.flicker!, window: 3 }), map((f) => f.index))).toBe('-----#', indices);
  });
});

test('restore-motion (look-ahead): the first frame waits for two, then one frame is held', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const out = cold('-a---b---c---d---|', values(4)).pipe(restoreMotion());
    expectObservable(out.pipe(map((f) => f.index))).toBe('---------(ab)c---(d|)', indices);
    // Lent while the frame is being emitted (the next stage sees them).
    expectObservable(out.pipe(map((f) => neighboursOf(f) !== null))).toBe('---------(ab)c---(d|)', { a: true, b: true, c: true, d: true });
  });
});

test('restore-motion: neighbours per position, look-ahead and causal; lent during the emission only', async () => {
  const seen = async (mode: 'lookahead' | 'causal', n: number) => {
    const lent: string[] = [];
    const frames = await lastValueFrom(from(Array.from({ length: n }, (_, i) => frame(i))).pipe(
      restoreMotion({ mode }),
      map((f) => {
        const nb = neighboursOf(f);
        lent.push(`${nb?.a ? 'a' : '-'}${nb?.b ? 'b' : '-'}`);
        return f;
      }),
      toArray(),
    ));
    // ...and taken back once the emission returned.
    assert.ok(frames.every((f) => neighboursOf(f) === null));
    return lent;
  };
  assert.deepEqual(await seen('lookahead', 4), ['ab', 'ab', 'ab', 'ab']);
  assert.deepEqual(await seen('lookahead', 2), ['a-', 'a-']);
  assert.deepEqual(await seen('lookahead', 1), ['--']);
  assert.deepEqual(await seen('causal', 4), ['--', 'a-', 'ab', 'ab']);
});

test('restore-motion (look-ahead): on a swinging pan (frame t not halfway between its neighbours) both neighbours land on t', async () => {
  // A textured wall seen through a 128 x 80 window at x = 0, 9, 12, 14: the camera slows down, so
  // frame 1 is 3 px from the midpoint of frames 0 and 2, where the flow between them puts it.
  const w = 128, h = 80, at = [0, 9, 12, 14];
  const wall = (x: number, y: number) => 50 + 25 * valueNoise(x / 5, y / 5, 3) + 10 * valueNoise(x / 2, y / 2, 4);
  const frames = at.map((x0, i) => ({ index: i, pts: i / 25, width: w, height: h, rgb: Buffer.alloc(0), gray: false,
    L: Float32Array.from({ length: w * h }, (_, k) => wall((k % w) + x0, Math.floor(k / w))) }) as LFrame);
  let error = Infinity;
  await lastValueFrom(from(frames).pipe(restoreMotion(), map((f) => {
    const nb = neighboursOf(f)!;
    if (f.index !== 1) return f;
    let s = 0, c = 0;
    for (let y = 8; y < h - 8; y++) {
      for (let x = 24; x < w - 24; x++) s += Math.abs(nb.a![y * w + x]! - f.L[y * w + x]!) + Math.abs(nb.b![y * w + x]! - f.L[y * w + x]!), c += 2;
    }
    error = s / c;
    return f;
  }), toArray()));
  // Placed at the midpoint (3 px off) the neighbours differ from frame 1 by about 5 L on average.
  assert.ok(error < 1.5, `neighbours off frame 1 by ${error.toFixed(2)} L on average`);
});

test('restore-dust, restore-grain, restore-scratches: one frame in, the same frame out, at once', () => {
  scheduler().run(({ cold, expectObservable }) => {
    for (const stage of [restoreDust<LFrame>(AUTO.dust!), restoreGrain<LFrame>(AUTO.grain!), restoreScratches<LFrame>(AUTO.scratches!)]) {
      expectObservable(cold('-a-b-c-|', values(3)).pipe(stage, map((f) => f.index))).toBe('-a-b-c-|', indices);
    }
    expectObservable(cold('-a-#', values(1)).pipe(restoreScratches(AUTO.scratches!), map((f) => f.index))).toBe('-a-#', indices);
  });
});

test('restoreStage: off is the identity; auto keeps order and count and holds what restoreHold says', () => {
  assert.equal(restoreHold(null), 0);
  // The flicker window, two for the motion stage, three for blotches.
  assert.equal(restoreHold(AUTO), AUTO.flicker!.window + 2 + 3);
  assert.equal(restoreHold({ ...AUTO, blotches: null }), AUTO.flicker!.window + 2);
  // Scratches alone run the motion stage too: its neighbours tell the scene's lines from the film's.
  assert.equal(restoreHold(parseRestoreOption('scratches')), 2);
  assert.equal(restoreHold(parseRestoreOption('flicker')), AUTO.flicker!.window);
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('-a-b-|', values(2)).pipe(restoreStage(null), map((f) => f.index))).toBe('-a-b-|', indices);
    // flicker (window 1) then motion: frame 0 leaves once frames 0..2 are through flicker, i.e. when frame 3 is in.
    // (The blotch stage answers through promises, outside virtual time: restore-blotches.test.ts.)
    const s = { ...AUTO, flicker: { ...AUTO.flicker!, window: 1 }, blotches: null };
    expectObservable(cold('-a---b---c---d---e---|', values(5)).pipe(restoreStage(s), map((f) => f.index))).toBe('-------------(ab)c---(de|)', indices);
  });
});

test('restoreStage (auto) on a damaged moving scene: closer to clean, flicker cut; causal too', async () => {
  for (const mode of ['lookahead', 'causal'] as const) {
    const gen = new FilmDamage(96, 64, { seed: 2, dustPerFrame: 20 });
    const clean: Float32Array[] = [], damaged: LFrame[] = [];
    for (let t = 0; t < 12; t++) {
      const L = movingScene(96, 64, t);
      clean.push(L.slice());
      gen.apply(L);
      damaged.push({ ...frame(t, L), width: 96, height: 64 });
    }
    const before = damaged.map((f, t) => psnrL(f.L.slice(), clean[t]));
    const out: Observable<LFrame[]> = from(damaged).pipe(restoreStage(AUTO, { mode }), toArray());
    const restored = await lastValueFrom(out);
    const after = restored.map((f, t) => psnrL(f.L, clean[t]));
    const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
    assert.ok(mean(after) > mean(before) + 3, `${mode}: ${mean(before).toFixed(2)} -> ${mean(after).toFixed(2)} dB`);
  }
});
