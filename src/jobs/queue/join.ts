// The join job of one film: runs once every segment job has completed. It checks that every
// segment is there, once, with its recorded checksum and the film's total frame count, joins them
// losslessly with the --resume join (the source's audio, subtitles and metadata are added once, so
// there are no audio gaps at the seams), checks the joined frame count, and puts the film in the
// store under a temporary name that is renamed into place.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { ChildGroup } from '../../media/child.js';
import { packetTimes } from '../../media/cut.js';
import { joinSegments, type JoinSegment } from '../../media/join.js';
import { fixVariableRateMp4 } from '../video-job.js';
import { sha256File } from '../../core/sha256.js';
import { ChromaError } from '../../core/errors.js';
import type { LocalFile, Store } from './store.js';
import type { JoinJobData, JoinResult, SegmentResult } from './types.js';

export interface JoinContext {
  store: Store;
  worker: string;
  signal?: AbortSignal;
}

/** The segments in order, or an error that says which is missing, doubled or short. */
export function checkSegments(d: Pick<JoinJobData, 'input' | 'segments' | 'frames'>, results: SegmentResult[]): SegmentResult[] {
  const byIndex = new Map<number, SegmentResult>();
  for (const r of results) {
    if (byIndex.has(r.index)) throw new ChromaError('internal', `${d.input}: segment ${r.index} was recorded twice`);
    byIndex.set(r.index, r);
  }
  const ordered: SegmentResult[] = [];
  for (let i = 0; i < d.segments; i++) {
    const r = byIndex.get(i);
    if (!r) throw new ChromaError('internal', `${d.input}: segment ${i} of ${d.segments} has no result`);
    ordered.push(r);
  }
  if (byIndex.size !== d.segments) throw new ChromaError('internal', `${d.input}: ${byIndex.size} segment results for ${d.segments} segments`);
  const frames = ordered.reduce((n, r) => n + r.frames, 0);
  if (frames !== d.frames) throw new ChromaError('internal', `${d.input}: the segments hold ${frames} frames, the film has ${d.frames}`);
  return ordered;
}

export async function joinFilm(d: JoinJobData, results: SegmentResult[], ctx: JoinContext): Promise<JoinResult> {
  const started = performance.now();
  const ordered = checkSegments(d, results);
  const work = await mkdtemp(join(tmpdir(), 'chroma-join-'));
  const locals: LocalFile[] = [];
  try {
    const records: JoinSegment[] = [];
    for (const r of ordered) {
      const local = await ctx.store.local(r.key);
      locals.push(local);
      if ((await sha256File(local.path)) !== r.sha256) {
        throw new ChromaError('internal', `${d.input}: segment ${r.index} in the store does not match its recorded checksum`);
      }
      const file = `seg-${String(r.index).padStart(6, '0')}.nut`;
      await symlink(local.path, join(work, file));
      records.push({ file, frames: r.frames, encodedStart: r.encodedStart });
    }
    const source = await ctx.store.local(d.sourceKey);
    locals.push(source);
    const info = { ...d.info, path: source.path };
    const temp = join(work, `joined${extname(d.output)}`);
    const children = new ChildGroup();
    const notes = await joinSegments(work, records, temp, d.output, info, children, ctx.signal);
    await children.settled();
    await fixVariableRateMp4(info, temp, d.output);
    const frames = (await packetTimes(temp)).length;
    if (frames !== d.frames) throw new ChromaError('internal', `${d.input}: the joined film has ${frames} frames, expected ${d.frames}`);
    await ctx.store.put(d.outputKey, temp);
    return { frames, outputKey: d.outputKey, seconds: (performance.now() - started) / 1000, notes, worker: ctx.worker };
  } finally {
    for (const f of locals) await f.release();
    await rm(work, { recursive: true, force: true });
  }
}
