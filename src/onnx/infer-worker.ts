// Worker thread body: owns its own ONNX Runtime session for the model (for logits models fused with
// the annealed-mean graph) so that inference never blocks the main thread. onnxruntime-node's run() is
// synchronous on the calling thread; on the main thread it stalls ffmpeg's pipes and every JS stage
// for the length of a batch. Here it only blocks this thread.
//
// Protocol (see infer-client.ts): workerData = InferWorkerConfig; the worker answers 'ready' or
// 'failed' once, then one 'result' or 'error' per 'run' request, in the order received.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { buildAnnealedMeanGraph } from './annealed-mean-graph.js';
import { fuseAnnealedMean } from './fuse-annealed-mean.js';
import { readModelBytes } from './null-model.js';

export interface InferWorkerConfig {
  path: string;
  provider: 'cuda' | 'cpu';
  /** Intra-op threads (undefined: ONNX Runtime's default, all cores). */
  threads?: number;
  /** Let idle intra-op threads spin (ORT's default true). Off is kinder to a busy, shared CPU. */
  spinning: boolean;
  inputName: string;
  /** The hint-planes input (models that take hints), packed after the L planes in each request. */
  hintsName: string | null;
  outputName: string;
  /** Build the annealed-mean graph (logits models). */
  annealedMean: boolean;
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
  | {
    type: 'result'; id: number; data: Float32Array; dims: number[];
    /** ab (decoded here) rather than the raw output; `fused`: by the one fused session, whose time is all in netMs. */
    decoded: boolean; fused: boolean; netMs: number; decodeMs: number; input: Float32Array;
  }
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
  let bytes: Uint8Array;
  // Logits models: the network and the annealed mean fused into one session (fuse-annealed-mean.ts), so
  // the logits stay inside ONNX Runtime. The plain network (for requests that want raw logits) and
  // the separate annealed-mean session (when fusing fails) are built only if needed.
  let fused: { session: ort.InferenceSession; invT: string; ab: string } | null = null;
  let net: ort.InferenceSession | null = null;
  let annealer: ort.InferenceSession | null = null;
  try {
    bytes = await readModelBytes(cfg.path);
    if (cfg.annealedMean) {
      try {
        const f = fuseAnnealedMean(bytes, cfg.outputName);
        fused = { session: await ort.InferenceSession.create(f.bytes, options()), invT: f.invTName, ab: f.abName };
      } catch {
        fused = null;
      }
    }
    if (!fused) net = await ort.InferenceSession.create(bytes, options());
  } catch (err) {
    port.postMessage({ type: 'failed', message: (err as Error).message.split('\n')[0] } satisfies WorkerReply);
    return;
  }
  const netSession = async () => (net ??= await ort.InferenceSession.create(bytes, options()));
  const annealerSession = async () => (annealer ??= await ort.InferenceSession.create(buildAnnealedMeanGraph(), options()));
  const invT = new Float32Array(1);
  const run = async (m: RunRequest): Promise<void> => {
    try {
      const t0 = performance.now();
      // dims are the L tensor's; a hint-taking model's three hint planes per frame follow in the same buffer.
      const [n, , h, w] = m.dims;
      const feeds: Record<string, ort.Tensor> = { [cfg.inputName]: new ort.Tensor('float32', m.input.subarray(0, n * h * w), m.dims) };
      if (cfg.hintsName) feeds[cfg.hintsName] = new ort.Tensor('float32', m.input.subarray(n * h * w, 4 * n * h * w), [n, 3, h, w]);
      let result: ort.Tensor;
      let decoded = false;
      let netMs: number, decodeMs = 0;
      if (fused && m.invT !== null) {
        invT[0] = m.invT;
        result = (await fused.session.run({ ...feeds, [fused.invT]: new ort.Tensor('float32', invT, [1]) }))[fused.ab];
        decoded = true;
        netMs = performance.now() - t0;
      } else {
        result = (await (await netSession()).run(feeds))[cfg.outputName];
        netMs = performance.now() - t0;
        if (cfg.annealedMean && m.invT !== null) {
          invT[0] = m.invT;
          result = (await (await annealerSession()).run({ logits: result, inv_t: new ort.Tensor('float32', invT, [1]) })).ab;
          decoded = true;
          decodeMs = performance.now() - t0 - netMs;
        }
      }
      const data = result.data as Float32Array;
      const reply: WorkerReply = {
        type: 'result', id: m.id, data, dims: [...result.dims], decoded, fused: decoded && decodeMs === 0,
        netMs, decodeMs, input: m.input,
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
  // runs must not slip its net run in between the other's net and annealed-mean runs).
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (m: RunRequest | { type: 'close' }) => {
    if (m.type === 'close') {
      queue = queue.then(async () => {
        await fused?.session.release();
        await net?.release();
        await annealer?.release();
        port.close();
      });
      return;
    }
    queue = queue.then(() => run(m));
  });
  port.postMessage({ type: 'ready' } satisfies WorkerReply);
}

void main();
