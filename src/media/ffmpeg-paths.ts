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
