// What the property tests share: how many cases (CHROMA_FUZZ_RUNS, default a few thousand per
// property), one seed for all of them (CHROMA_FUZZ_SEED, so a failure is replayed by setting it),
// and the checks every parser is held to: it refuses only with its own error, in bounded time.
import fc from 'fast-check';
import assert from 'node:assert/strict';

/** Cases per property in the normal test run; CHROMA_FUZZ_RUNS=50000 for a long hunt. */
export const RUNS = Math.max(1, Number(process.env.CHROMA_FUZZ_RUNS) || 2000);
/** One seed for the run, printed with every failure by fast-check. */
export const SEED = Number(process.env.CHROMA_FUZZ_SEED) || 20261206;

/** CPU time of this process, ms: the machine is shared, so wall time would measure the neighbours. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Cases checked per property, by property name: the report lists them. */
export const counted = new Map<string, number>();

/** One property's case count, CPU bound per case and slowest case so far. */
interface Budget { name: string; numRuns: number; maxMs: number; slowest: number }

function budget(name: string, o: { share?: number; maxMs?: number }, defaultMs: number): Budget {
  return { name, numRuns: Math.max(20, Math.round(RUNS * (o.share ?? 1))), maxMs: o.maxMs ?? defaultMs, slowest: 0 };
}

/** Charges one case's CPU time (since `t0`) against the bound. */
function charge(b: Budget, t0: number): void {
  const ms = cpuMs() - t0;
  b.slowest = Math.max(b.slowest, ms);
  assert.ok(ms < b.maxMs, `${b.name}: one case took ${ms.toFixed(0)} ms (bound ${b.maxMs} ms)`);
}

function runParams(b: Budget): fc.Parameters<unknown> {
  return { numRuns: b.numRuns, seed: SEED, endOnFailure: true, includeErrorInReport: true };
}

function report(b: Budget): void {
  counted.set(b.name, b.numRuns);
  process.stdout.write(`# fuzz ${b.name}: ${b.numRuns} cases, slowest ${b.slowest.toFixed(1)} ms CPU\n`);
}

/**
 * Checks `predicate` on `runs` cases of `arb` (scaled: `share` of RUNS for costly properties);
 * each case must finish within `maxMs` of CPU time.
 */
export function check<T>(name: string, arb: fc.Arbitrary<T>, predicate: (v: T) => void, o: { share?: number; maxMs?: number } = {}): void {
  const b = budget(name, o, 1000);
  fc.assert(fc.property(arb, (v) => {
    const t0 = cpuMs();
    predicate(v);
    charge(b, t0);
  }), runParams(b));
  report(b);
}

/** Async variant (one case at a time). */
export async function checkAsync<T>(name: string, arb: fc.Arbitrary<T>, predicate: (v: T) => Promise<void>, o: { share?: number; maxMs?: number } = {}): Promise<void> {
  const b = budget(name, o, 2000);
  await fc.assert(fc.asyncProperty(arb, async (v) => {
    const t0 = cpuMs();
    await predicate(v);
    charge(b, t0);
  }), runParams(b));
  report(b);
}

/** Runs `f`; returns what it threw (undefined when it returned). */
export function thrown(f: () => unknown): unknown {
  try {
    f();
    return undefined;
  } catch (e) {
    return e;
  }
}

/** Asserts `e` is nothing or an instance of one of `allowed`, with a one-line message. */
export function onlyOwnError(e: unknown, allowed: (abstract new (...a: never[]) => Error)[], input?: unknown): void {
  if (e === undefined) return;
  const ok = allowed.some((c) => e instanceof c);
  assert.ok(ok, `threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message} for ${JSON.stringify(input)?.slice(0, 300)}`);
  const msg = (e as Error).message;
  assert.ok(msg.length > 0 && msg.length < 2000, `message length ${msg.length}`);
}

/** Byte strings: random, and mutations of `seeds` (flipped, cut, spliced bytes), which reach deeper than noise. */
export function bytesNear(seeds: Uint8Array[], maxLength = 4096): fc.Arbitrary<Uint8Array> {
  const random = fc.uint8Array({ maxLength });
  if (seeds.length === 0) return random;
  const mutated = fc.tuple(
    fc.integer({ min: 0, max: seeds.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert', 'dup')), { minLength: 1, maxLength: 6 }),
  ).map(([i, edits]) => {
    let b = Buffer.from(seeds[i]);
    for (const [at, v, op] of edits) {
      const p = b.length ? at % b.length : 0;
      if (op === 'set' && b.length) b[p] = v;
      else if (op === 'cut') b = b.subarray(0, p);
      else if (op === 'insert') b = Buffer.concat([b.subarray(0, p), Buffer.of(v), b.subarray(p)]);
      else if (op === 'dup' && b.length) b = Buffer.concat([b.subarray(0, p), b.subarray(p, p + (v % 32)), b.subarray(p)]);
    }
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  });
  return fc.oneof({ weight: 1, arbitrary: random }, { weight: 4, arbitrary: mutated });
}
