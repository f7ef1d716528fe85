// The catch-up rule (src/server/sources/lag.ts), case by case: what counts as behind, what does
// not (an outage, a clock jump), and a machine too slow for the stream asking for frame drops
// instead of a reconnect loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LagMeter, type LagVerdict } from '../src/server/sources/lag.js';

/** Frames at `fps` by the stream's clock, arriving `speed` times slower by the wall clock (2 = half speed). */
function run(meter: LagMeter, o: { fps?: number; frames: number; speed?: number; startMs?: number; startPts?: number; gapAt?: number; gapMs?: number; jumpAt?: number; jumpS?: number }) {
  const fps = o.fps ?? 15;
  const verdicts: { i: number; v: LagVerdict; lagMs: number }[] = [];
  let arrival = o.startMs ?? 0;
  let pts = o.startPts ?? 0;
  for (let i = 0; i < o.frames; i++) {
    if (i === o.gapAt) arrival += o.gapMs ?? 0;
    if (i === o.jumpAt) pts += o.jumpS ?? 0;
    const v = meter.observe(arrival, pts);
    if (v !== 'ok') verdicts.push({ i, v, lagMs: meter.lagMs });
    arrival += (1000 / fps) * (o.speed ?? 1);
    pts += 1 / fps;
  }
  return { verdicts, arrival, pts, lagMs: meter.lagMs };
}

const cases: { name: string; opts: Parameters<typeof run>[1]; verdicts: LagVerdict[]; maxLagMs?: number }[] = [
  { name: 'live stream: never behind', opts: { frames: 15 * 120 }, verdicts: [], maxLagMs: 1 },
  { name: 'a 30 s outage inside one connection, timestamps ignoring it: not lag', opts: { frames: 600, gapAt: 100, gapMs: 30000 }, verdicts: [], maxLagMs: 1 },
  { name: 'a camera clock that jumps back 51 s: not lag', opts: { frames: 600, jumpAt: 100, jumpS: -51 }, verdicts: [], maxLagMs: 1 },
  { name: 'a clock jump forward: not lag either', opts: { frames: 600, jumpAt: 100, jumpS: 40 }, verdicts: [], maxLagMs: 1 },
  { name: 'decoding at 90% of real time: one reconnect when 3 s behind', opts: { frames: 15 * 40, speed: 1 / 0.9 }, verdicts: ['reconnect'] },
  { name: 'a 0.9 s stall of our own, then a burst: under the limit, nothing', opts: { frames: 300, gapAt: 50, gapMs: 900 }, verdicts: [] },
];

for (const c of cases) {
  test(`lag: ${c.name}`, () => {
    const r = run(new LagMeter(), c.opts);
    assert.deepEqual(r.verdicts.map((v) => v.v), c.verdicts, JSON.stringify(r.verdicts));
    if (c.maxLagMs !== undefined) assert.ok(r.lagMs <= c.maxLagMs, `lag ${r.lagMs} ms`);
    for (const v of r.verdicts) assert.ok(v.lagMs > 3000);
  });
}

test('lag: behind again soon after a catch-up means a slow machine: slow, not another reconnect', () => {
  const meter = new LagMeter();
  const first = run(meter, { frames: 15 * 40, speed: 2 });
  assert.deepEqual(first.verdicts.map((v) => v.v).slice(0, 1), ['reconnect']);
  // The reconnect: a new connection, and the machine is as slow as before.
  meter.restart();
  const at = first.verdicts[0];
  const second = run(meter, { frames: 15 * 20, speed: 2, startMs: (at.i + 1) * (2000 / 15), startPts: 100 });
  assert.equal(second.verdicts[0]?.v, 'slow');
});

test('lag: a catch-up a long time after the last one is a reconnect again', () => {
  const meter = new LagMeter({ repeatWindowMs: 60000 });
  const first = run(meter, { frames: 15 * 40, speed: 1 / 0.9 });
  assert.deepEqual(first.verdicts.map((v) => v.v), ['reconnect']);
  meter.restart();
  const second = run(meter, { frames: 15 * 40, speed: 1 / 0.9, startMs: first.arrival + 120000, startPts: 0 });
  assert.deepEqual(second.verdicts.map((v) => v.v), ['reconnect']);
});

test('lag: limit 0 never asks for anything', () => {
  const r = run(new LagMeter({ limitMs: 0 }), { frames: 15 * 60, speed: 3 });
  assert.deepEqual(r.verdicts, []);
  assert.ok(r.lagMs > 3000);
});
