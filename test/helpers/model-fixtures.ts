// Deterministic tiny ONNX models for pipeline tests. Every model takes `L` (float N x 1 x H x W, the
// CIE L plane normalised as x = (L - 50) / 100, per the model contract) and carries chroma
// metadata_props (see META_KEYS) unless `{ metadata: false }` is passed.

import { AB_BINS_313, Q } from '../../src/color/ab-bins.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { META_KEYS, type ModelKind } from '../../src/core/model-contract.js';

export interface FixtureOptions {
  /** Write the chroma.* metadata_props (default true). Set false to test sidecar JSON / defaults. */
  metadata?: boolean;
}

/** The bin the logits fixture favours for bright pixels: a* = 50, b* = 30 (a warm red). */
export const FIXTURE_RED_AB: readonly [number, number] = [50, 30];
/** The bin the logits fixture favours for dark pixels: a* = 0, b* = 0 (gray). */
export const FIXTURE_GRAY_AB: readonly [number, number] = [0, 0];
/** Gain of the logits fixture: logit(red) = +K·x, logit(gray) = -K·x. */
export const FIXTURE_LOGIT_GAIN = 100;
/** Bias of every other bin's logit in the logits fixture. */
export const FIXTURE_OTHER_LOGIT = -30;

/** Index of a bin centre (a, b) in AB_BINS_313; throws when it is not a bin. */
export function binIndex(a: number, b: number): number {
  for (let i = 0; i < Q; i++) if (AB_BINS_313[2 * i] === a && AB_BINS_313[2 * i + 1] === b) return i;
  throw new Error(`(${a}, ${b}) is not one of the 313 ab bins`);
}

function metadata(g: GraphBuilder, kind: ModelKind, name: string, opts: FixtureOptions): void {
  if (opts.metadata === false) return;
  g.setMetadataProps({
    [META_KEYS.kind]: kind,
    [META_KEYS.lOffset]: 50,
    [META_KEYS.lScale]: 0.01,
    [META_KEYS.trainSize]: 256,
    [META_KEYS.sizeMultiple]: 8,
    [META_KEYS.abScale]: 1,
    [META_KEYS.name]: name,
  });
}

/**
 * Logits fixture (metadata kind "logits313", name "fixture-logits", size_multiple 8).
 *
 *   L (N x 1 x H x W) → AveragePool kernel 4 stride 4 (x̄ = mean of x over each 4 x 4 block)
 *   → Conv 1x1, 1 → 313 → `logits` N x 313 x H/4 x W/4, where for each block
 *       logit[red]  = +100 · x̄          (red  = bin (a, b) = (50, 30), index 219)
 *       logit[gray] = -100 · x̄          (gray = bin (0, 0),            index 120)
 *       logit[q]    = -30  for every other bin.
 *
 * So a block with mean L > 50 decodes (annealed mean, any T ≤ 1) to ab ≈ (50, 30) and one with
 * mean L < 50 to ab ≈ (0, 0). For |mean L - 50| ≥ 10 (|x̄| ≥ 0.1) the favoured bin's softmax
 * probability at T = 1 is > 1 - 3e-9, so the decoded ab is within 1e-6 of that bin's centre
 * (closer still at T = 0.38). At exactly L = 50 both bins tie: ab = (25, 15).
 * H and W must be multiples of 4 (the contract asks for multiples of 8).
 */
export function makeLogitsFixture(opts: FixtureOptions = {}): Uint8Array {
  const red = binIndex(FIXTURE_RED_AB[0], FIXTURE_RED_AB[1]);
  const gray = binIndex(FIXTURE_GRAY_AB[0], FIXTURE_GRAY_AB[1]);
  const w = new Float32Array(Q);
  const b = new Float32Array(Q).fill(FIXTURE_OTHER_LOGIT);
  w[red] = FIXTURE_LOGIT_GAIN;
  w[gray] = -FIXTURE_LOGIT_GAIN;
  b[red] = 0;
  b[gray] = 0;

  const g = new GraphBuilder({ name: 'fixture_logits' });
  g.addInput('L', ['N', 1, 'H', 'W']);
  const W = g.addInitializer('conv_w', w, [Q, 1, 1, 1]);
  const B = g.addInitializer('conv_b', b, [Q]);
  const pooled = g.node('AveragePool', ['L'], { kernel_shape: [4, 4], strides: [4, 4] });
  g.node('Conv', [pooled, W, B], { kernel_shape: [1, 1] }, 'logits');
  g.addOutput('logits', ['N', Q, 'h', 'w']);
  metadata(g, 'logits313', 'fixture-logits', opts);
  return g.serialize();
}

/**
 * ab fixture (metadata kind "ab", ab_scale 1, name "fixture-ab", size_multiple 8).
 *
 *   `ab` N x 2 x H x W at full input resolution, per pixel with x = (L - 50) / 100:
 *       a = 40 · x + 10,   b = -30 · x
 *   (a 1x1 Conv, weights [40, -30], bias [10, 0]). E.g. L = 100 → (30, -15); L = 0 → (-10, 15);
 *   L = 50 → (10, 0).
 */
export function makeAbFixture(opts: FixtureOptions = {}): Uint8Array {
  const g = new GraphBuilder({ name: 'fixture_ab' });
  g.addInput('L', ['N', 1, 'H', 'W']);
  const W = g.addInitializer('conv_w', Float32Array.from([40, -30]), [2, 1, 1, 1]);
  const B = g.addInitializer('conv_b', Float32Array.from([10, 0]), [2]);
  g.node('Conv', ['L', W, B], { kernel_shape: [1, 1] }, 'ab');
  g.addOutput('ab', ['N', 2, 'H', 'W']);
  metadata(g, 'ab', 'fixture-ab', opts);
  return g.serialize();
}

/**
 * A model that breaks the contract: metadata claims kind "ab" (name "fixture-bad"), but the output
 * `out` is N x 5 x H x W (a 1x1 Conv, all weights 1, bias 0: every channel equals x) — neither 313
 * nor 2 channels.
 */
export function makeBadFixture(opts: FixtureOptions = {}): Uint8Array {
  const g = new GraphBuilder({ name: 'fixture_bad' });
  g.addInput('L', ['N', 1, 'H', 'W']);
  const W = g.addInitializer('conv_w', new Float32Array(5).fill(1), [5, 1, 1, 1]);
  const B = g.addInitializer('conv_b', new Float32Array(5), [5]);
  g.node('Conv', ['L', W, B], { kernel_shape: [1, 1] }, 'out');
  g.addOutput('out', ['N', 5, 'H', 'W']);
  metadata(g, 'ab', 'fixture-bad', opts);
  return g.serialize();
}

/** Where the hint-echo fixture has no hint it paints this (a bin centre): a* = -20, b* = 40, a green. */
export const ECHO_FALLBACK_AB: readonly [number, number] = [-20, 40];

/**
 * Hint-echo fixture (kind "logits313", name "fixture-hint-echo", inputs `L` and `hints`): a model
 * that does exactly what the hints say, so tests can check the hint plumbing to the pixel without
 * trained weights. Per pixel (full resolution), with the hint planes (ha, hb, m') = (a/110, b/110,
 * mask - 0.5), the target colour is
 *     t = 110 · (ha, hb) + (0.5 - m') · ECHO_FALLBACK_AB
 * (the hint's ab under a hint, the fallback elsewhere), and each bin's logit is
 *     logit[q] = gain · (c_q · t - |c_q|² / 2)  =  -gain/2 · |c_q - t|² + const,
 * one 1x1 Conv of the hint planes. With the default gain 1, a target on a bin centre beats the
 * nearest other bin by 50 logits, so the annealed mean returns it to within 1e-6; a small gain
 * gives a broad distribution (what a reference-photo tilt can move). L enters through a zero-weight
 * Conv so the input is part of the graph.
 */
export function makeHintEchoFixture(opts: FixtureOptions & { gain?: number; spread?: boolean } = {}): Uint8Array {
  const gain = opts.gain ?? 1;
  const [fa, fb] = ECHO_FALLBACK_AB;
  const w = new Float32Array(Q * 3);
  const b = new Float32Array(Q);
  for (let q = 0; q < Q; q++) {
    const a = AB_BINS_313[2 * q], bb = AB_BINS_313[2 * q + 1];
    w[3 * q] = gain * 110 * a;
    w[3 * q + 1] = gain * 110 * bb;
    w[3 * q + 2] = -gain * (a * fa + bb * fb);
    b[q] = gain * (0.5 * (a * fa + bb * fb) - (a * a + bb * bb) / 2);
  }
  const g = new GraphBuilder({ name: 'fixture_hint_echo' });
  g.addInput('L', ['N', 1, 'H', 'W']);
  g.addInput('hints', ['N', 3, 'H', 'W']);
  const W = g.addInitializer('hint_w', w, [Q, 3, 1, 1]);
  const B = g.addInitializer('hint_b', b, [Q]);
  const Z = g.addInitializer('l_w', new Float32Array(Q), [Q, 1, 1, 1]);
  // spread: the largest hint a, b and mask of the frame everywhere (a net that carries one hint
  // over the whole picture); positive hint ab only.
  const hintsIn = opts.spread ? g.node('GlobalMaxPool', ['hints']) : 'hints';
  const fromHints = g.node('Conv', [hintsIn, W, B], { kernel_shape: [1, 1] });
  const fromL = g.node('Conv', ['L', Z], { kernel_shape: [1, 1] });
  g.node('Add', [fromHints, fromL], {}, 'logits');
  g.addOutput('logits', ['N', Q, 'H', 'W']);
  metadata(g, 'logits313', 'fixture-hint-echo', opts);
  return g.serialize();
}
