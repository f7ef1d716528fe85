// Where the ffmpeg and ffprobe binaries live. The npm-shipped static builds are the default so a
// fresh `npm ci` works offline; CHROMA_FFMPEG / CHROMA_FFPROBE point at a system build instead
// (e.g. one with NVDEC/NVENC).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function resolveBinary(envName: string, pkg: string): string {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  return (require(pkg) as { path: string }).path;
}

export const FFMPEG: string = resolveBinary('CHROMA_FFMPEG', '@ffmpeg-installer/ffmpeg');
export const FFPROBE: string = resolveBinary('CHROMA_FFPROBE', '@ffprobe-installer/ffprobe');

/**
 * Environment for running FFPROBE. The bundled static ffprobe crashes (SIGSEGV) on every MPEG-TS
 * input (.ts/.m2ts/.mts) when glibc's iconv tries to load the system's charset modules while it
 * reads the stream's service names; with no modules to find, iconv fails cleanly and ffprobe
 * carries on. Left alone for a system ffprobe (CHROMA_FFPROBE).
 */
export const FFPROBE_ENV: NodeJS.ProcessEnv = process.env.CHROMA_FFPROBE
  ? process.env
  : { ...process.env, GCONV_PATH: '/nonexistent-chroma-gconv' };
