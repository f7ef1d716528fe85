// Temporal smoothing on a thread of its own. The smoother carries state from frame to frame (the
// recursion, the look-ahead window, the flow between consecutive frames), so its frames cannot be
// spread over threads, and its costliest part (the flow pyramid) is not row-local, so it does not
// split into bands either; what moves is the whole smoother, unchanged: the same frames in the
// same order through the same code give the same bytes, and the main thread only posts each
// frame's ab (a copy of a few tens of KB, transferred) and its model-resolution L (shared when the
// pixel pool made it) and swaps the smoothed ab in when it comes back. The thread outlives a run
// that ends cleanly, for the next one to take (a fresh smoother each run).
import type { Worker } from 'node:worker_threads';
import { Observable, type OperatorFunction } from 'rxjs';
import { startModuleWorker } from '../core/worker-boot.js';
import type { AbFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';
import type { SmoothOptions } from '../smoothing/options.js';
import type { SmoothReply, SmoothRequest } from './smooth-worker.js';

/** Options the thread can take: plain values (a strength function or a cut callback cannot cross). */
export function threadable(o: SmoothOptions): boolean {
  return typeof o.strength !== 'function' && !o.onCut;
}

// The thread of a run that ended cleanly (flushed), kept for the next run: a thread's start (and,
// under tsx, its compile) and the smoother's warm-up cost about half a CPU second, once per process
// instead of once per job. Unref'd while kept, so it never keeps a process alive. A run that
// fails or is cut short ends its thread instead (its state is unknown).
let kept: Worker | null = null;

function takeThread(): Worker {
  let w = kept;
  kept = null;
  if (!w) {
    const fresh = startModuleWorker(import.meta.url, 'smooth-worker');
    fresh.on('exit', () => {
      if (kept === fresh) kept = null;
    });
    w = fresh;
  }
  w.ref();
  return w;
}

/** The smoothing stage on its own thread: a kept one or a new one per subscription, handed back or ended with it. */
export function smoothOnThread<T extends AbFrame>(options: SmoothOptions, timer?: StageTimer): OperatorFunction<T, T> {
  const { timer: _t, ...plain } = options;
  return (source) =>
    new Observable<T>((subscriber) => {
      const worker = takeThread();
      const held = new Map<number, T>();
      let ended = false;
      const detach = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const end = (clean = false) => {
        if (ended) return;
        ended = true;
        detach();
        if (clean && !kept) {
          worker.unref();
          kept = worker;
        } else {
          void worker.terminate();
        }
      };
      const fail = (err: Error) => {
        end();
        subscriber.error(err);
      };
      const onMessage = (m: SmoothReply) => {
        if (m.type === 'out') {
          const f = held.get(m.index);
          if (!f) return fail(new Error(`smoothing thread: frame ${m.index} was never sent`));
          held.delete(m.index);
          f.ab = m.ab;
          timer?.add('smooth', m.ms);
          subscriber.next(f);
        } else if (m.type === 'flushed') {
          end(held.size === 0);
          subscriber.complete();
        } else {
          fail(new Error(`smoothing: ${m.message}`));
        }
      };
      const onError = (err: Error) => fail(new Error(`the smoothing thread failed: ${err.message}`));
      const onExit = () => {
        if (!ended) fail(new Error('the smoothing thread exited'));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      const post = (m: SmoothRequest, transfer: ArrayBuffer[] = []) => worker.postMessage(m, transfer);
      post({ type: 'start', options: plain });
      const sub = source.subscribe({
        next(f) {
          if (held.has(f.index)) return fail(new Error(`smoothing thread: frame index ${f.index} twice in flight`));
          held.set(f.index, f);
          // The ab plane may be a view into a whole batch's output: send a copy of its own.
          const ab = f.ab.slice(0, 2 * f.abWidth * f.abHeight);
          post({
            type: 'push',
            frame: { index: f.index, modelWidth: f.modelWidth, modelHeight: f.modelHeight, modelL: f.modelL, abWidth: f.abWidth, abHeight: f.abHeight, ab },
          }, [ab.buffer]);
        },
        error: (e) => {
          end();
          subscriber.error(e);
        },
        complete: () => post({ type: 'flush' }),
      });
      return () => {
        sub.unsubscribe();
        end();
      };
    });
}
