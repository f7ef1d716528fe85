// One ONNX model from a logits network and the annealed-mean graph (src/onnx/annealed-mean-graph.ts):
// the annealed mean's nodes are appended to the network's graph, reading its logits output directly.
// Run as one session, the 313-channel logits never leave ONNX Runtime (no copy out to a fresh JS
// buffer and back in, per batch: 36 MB at batch 4 for 1080p frames; on CUDA, no round trip over
// PCIe), and only the 2-channel ab comes out.
import { decodeModel, encodeModel } from './proto.js';
import { buildAnnealedMeanGraph } from './annealed-mean-graph.js';

export interface FusedModel {
  bytes: Uint8Array;
  /** Graph input for 1 / temperature (float [1]). */
  invTName: string;
  /** Graph output: ab, N x 2 x h x w. */
  abName: string;
}

/** Fuse; throws when the network's graph cannot be read or has no output `outputName`. */
export function fuseAnnealedMean(net: Uint8Array, outputName: string): FusedModel {
  const m = decodeModel(net);
  const d = decodeModel(buildAnnealedMeanGraph());
  const g = m.graph, dg = d.graph;
  if (!g || !dg) throw new Error('model without a graph');
  if (!(g.output ?? []).some((o) => o.name === outputName)) throw new Error(`no graph output '${outputName}'`);
  const taken = new Set<string>();
  for (const n of g.node ?? []) for (const x of [...(n.input ?? []), ...(n.output ?? []), n.name ?? '']) taken.add(x);
  for (const t of g.initializer ?? []) taken.add(t.name ?? '');
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) taken.add(v.name ?? '');
  const renamed = new Map<string, string>([['logits', outputName], ['', '']]);
  const name = (x: string): string => {
    let r = renamed.get(x);
    if (r === undefined) {
      r = `chroma_am_${x}`;
      while (taken.has(r)) r = `_${r}`;
      taken.add(r);
      renamed.set(x, r);
    }
    return r;
  };
  let k = 0;
  for (const n of dg.node ?? []) {
    let nodeName = `chroma_am_node${k++}`;
    while (taken.has(nodeName)) nodeName = `_${nodeName}`;
    taken.add(nodeName);
    (g.node ??= []).push({ ...n, name: nodeName, input: (n.input ?? []).map(name), output: (n.output ?? []).map(name) });
  }
  for (const t of dg.initializer ?? []) (g.initializer ??= []).push({ ...t, name: name(t.name ?? '') });
  const invT = (dg.input ?? []).find((v) => v.name === 'inv_t');
  const ab = (dg.output ?? []).find((v) => v.name === 'ab');
  if (!invT || !ab) throw new Error('unexpected annealed-mean graph');
  (g.input ??= []).push({ ...invT, name: name('inv_t') });
  g.output = [{ ...ab, name: name('ab') }];
  // The annealed mean needs opset 13+ only for Softmax's axis meaning, identical for axis = -1 before
  // that; the network's own opset stays.
  return { bytes: encodeModel(m), invTName: name('inv_t'), abName: name('ab') };
}
