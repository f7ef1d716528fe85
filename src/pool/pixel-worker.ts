// One thread of the pixel pool (pixel-pool.ts): runs each task it is sent, in order, and replies
// with its id, its result and the CPU time it took.
import { parentPort } from 'node:worker_threads';
import { TaskRunner, type PixelTask } from './pixel-tasks.js';

export interface TaskRequest { id: number; task: PixelTask }
export type TaskReply = { id: number; ok: true; value: boolean | null; ms: number } | { id: number; ok: false; message: string };

const runner = new TaskRunner();
parentPort!.on('message', (m: TaskRequest | { close: true }) => {
  if ('close' in m) {
    parentPort!.close();
    return;
  }
  const t0 = performance.now();
  let reply: TaskReply;
  try {
    const value = runner.run(m.task);
    reply = { id: m.id, ok: true, value, ms: performance.now() - t0 };
  } catch (err) {
    reply = { id: m.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
