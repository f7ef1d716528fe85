// Worker thread body: owns its own ONNX Runtime session for the model (and the annealed-mean decoder
// for logits models) so that inference never blocks the main thread. onnxruntime-node's run() is
// synchronous on the calling thread; on the main thread it stalls ffmpeg's pipes and every JS stage
// for the length of a batch. Here it only blocks this thread.
//
// Protocol (see infer-client.ts): workerData = InferWorkerConfig; the worker answers 'ready' or
// 'failed' once, then one 'result' or 'error' per 'run' request, in the order received.
import { parentPort, workerData } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { buildAnnealedMeanDecoder } from '../onnx/annealed-mean.js';

export interface InferWorkerConfig {
  path: string;
  provider: 'cuda' | 'cpu';
  /** Intra-op threads (undefined: ONNX Runtime's default, all cores). */
  threads?: number;
  /** Let idle intra-op threads spin (ORT's default true). Off is kinder to a busy, shared CPU. */
  spinning: boolean;
  inputName: string;
  outputName: string;
  /** Build the annealed-mean decoder (logits models). */
  decoder: boolean;
}

export interface RunRequest {
  type: 'run';
  id: number;
  input: Float32Array;
  dims: number[];
  /** 1 / temperature: decode logits to ab here. null: return the raw output. */
  invT: number | null;
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; data: Float32Array; dims: number[]; decoded: boolean; netMs: number; decodeMs: number; input: Float32Array }
  | { type: 'error'; id: number; message: string };

const cfg = workerData as InferWorkerConfig;
const port = parentPort!;

function options(): ort.InferenceSession.SessionOptions {
  const o: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionProviders: cfg.provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
  };
  if (cfg.threads) o.intraOpNumThreads = cfg.threads;
  if (!cfg.spinning) (o as { extra?: unknown }).extra = { session: { intra_op: { allow_spinning: '0' } } };
  return o;
}

async function main(): Promise<void> {
  let session: ort.InferenceSession;
  let decoder: ort.InferenceSession | null = null;
  try {
    session = await ort.InferenceSession.create(await readFile(cfg.path), options());
    if (cfg.decoder) decoder = await ort.InferenceSession.create(buildAnnealedMeanDecoder(), options());
  } catch (err) {
    port.postMessage({ type: 'failed', message: (err as Error).message.split('\n')[0] } satisfies WorkerReply);
    return;
  }
  const invT = new Float32Array(1);
  const run = async (m: RunRequest): Promise<void> => {
    try {
      const t0 = performance.now();
      const out = (await session.run({ [cfg.inputName]: new ort.Tensor('float32', m.input, m.dims) }))[cfg.outputName];
      const t1 = performance.now();
      let result = out;
      let decoded = false;
      if (decoder && m.invT !== null) {
        invT[0] = m.invT;
        result = (await decoder.run({ logits: out, inv_t: new ort.Tensor('float32', invT, [1]) })).ab;
        decoded = true;
      }
      const data = result.data as Float32Array;
      const reply: WorkerReply = {
        type: 'result', id: m.id, data, dims: [...result.dims], decoded,
        netMs: t1 - t0, decodeMs: performance.now() - t1, input: m.input,
      };
      // Both buffers travel back without a copy: the output is a fresh buffer per run, and the input
      // goes home to be refilled.
      const transfer: ArrayBuffer[] = [];
      if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) transfer.push(data.buffer as ArrayBuffer);
      if (m.input.buffer !== data.buffer) transfer.push(m.input.buffer as ArrayBuffer);
      port.postMessage(reply, transfer);
    } catch (err) {
      port.postMessage({ type: 'error', id: m.id, message: (err as Error).message.split('\n')[0] } satisfies WorkerReply);
    }
  };
  // Requests run strictly one after another, in arrival order (a request that arrives while one
  // runs must not slip its net run in between the other's net and decoder runs).
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (m: RunRequest | { type: 'close' }) => {
    if (m.type === 'close') {
      queue = queue.then(async () => {
        await session.release();
        await decoder?.release();
        port.close();
      });
      return;
    }
    queue = queue.then(() => run(m));
  });
  port.postMessage({ type: 'ready' } satisfies WorkerReply);
}

void main();
