// Stage: group frames for one inference call. Files: fixed-size batches, the last one flushed at the
// end of the stream. Live: a batch also closes after `maxWaitMs`, so a slow source never waits for
// a full batch. A batch never mixes model sizes (a folder of stills may). The wait runs on RxJS's
// async scheduler rather than a bare setTimeout, so marble tests drive it in virtual time.
import { Observable, asyncScheduler, type OperatorFunction, type Subscription } from 'rxjs';
import type { ModelFrame } from '../core/frames.js';

export interface BatchOptions {
  size: number;
  /** Close a partial batch after this many ms (live mode). Default: never (files). */
  maxWaitMs?: number;
}

export function batchFrames<T extends ModelFrame>(opts: BatchOptions): OperatorFunction<T, T[]> {
  const size = Math.max(1, Math.floor(opts.size));
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = [];
      let timer: Subscription | null = null;
      const emit = () => {
        timer?.unsubscribe();
        timer = null;
        if (batch.length) {
          const out = batch;
          batch = [];
          subscriber.next(out);
        }
      };
      const sub = source.subscribe({
        next(f) {
          const head = batch[0];
          if (head && (head.modelWidth !== f.modelWidth || head.modelHeight !== f.modelHeight)) emit();
          batch.push(f);
          if (batch.length >= size) emit();
          else if (opts.maxWaitMs !== undefined && !timer) timer = asyncScheduler.schedule(emit, opts.maxWaitMs);
        },
        error(e) {
          timer?.unsubscribe();
          subscriber.error(e);
        },
        complete() {
          emit();
          subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        sub.unsubscribe();
      };
    });
}
