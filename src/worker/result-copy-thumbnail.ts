// Thumbnails of stored videos, made by ffmpeg: one frame about a second in (the first frame of a
// shorter video), at most 640 px wide, as WebP when this ffmpeg can encode it, else JPEG. Whether
// ffmpeg is there and what it encodes is asked once; a gateway without ffmpeg has no thumbnails.
import { spawn } from 'node:child_process';

export type ThumbnailFormat = 'webp' | 'jpg';

export interface Thumbnail {
  data: Buffer;
  format: ThumbnailFormat;
  contentType: string;
}

export interface Thumbnailer {
  /** The format thumbnails come in, or null when ffmpeg cannot make any. */
  format(): Promise<ThumbnailFormat | null>;
  /** A thumbnail of the video at `source` (a path or URL), or null when ffmpeg is not usable. */
  extract(source: string): Promise<Thumbnail | null>;
}

const CONTENT_TYPES: Record<ThumbnailFormat, string> = { webp: 'image/webp', jpg: 'image/jpeg' };
const MAX_WIDTH = 640;
const SEEK_SECONDS = 1;
const PROBE_TIMEOUT_MS = 10_000;
const EXTRACT_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 10 * 1024 * 1024;

interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(command: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT_BYTES) child.kill('SIGKILL');
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4_000) stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: stderr.trim() }));
  });
}

// ffmpeg may succeed and write nothing of use (a seek past the end gives a bare container), so the
// output is checked for a whole image.
function isImage(data: Buffer, format: ThumbnailFormat): boolean {
  if (format === 'webp') return data.length > 20 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP';
  return data.length > 4 && data[0] === 0xff && data[1] === 0xd8 && data.at(-2) === 0xff && data.at(-1) === 0xd9;
}

const ENCODER_ARGS: Record<ThumbnailFormat, string[]> = {
  webp: ['-c:v', 'libwebp', '-quality', '80', '-f', 'webp'],
  jpg: ['-c:v', 'mjpeg', '-q:v', '3', '-f', 'mjpeg'],
};

// The video came from the upstream and may be anything: a playlist or a concat list dressed as an
// MP4 would make ffmpeg open whatever it names (local files, or any host the worker can reach).
// So the MP4/MOV demuxer is forced, and ffmpeg may use no protocol but the one that reads the
// stored video itself.
function frameArgs(source: string, seekSeconds: number, format: ThumbnailFormat): string[] {
  const remote = /^https?:\/\//.test(source);
  // A local path is named as such, so that no file name is ever read as an option or a protocol.
  const input = remote ? source : `file:${source}`;
  const protocols = remote ? (source.startsWith('https:') ? 'https,tls,tcp' : 'http,tcp') : 'file';
  return [
    '-hide_banner', '-nostdin', '-v', 'error',
    ...(seekSeconds > 0 ? ['-ss', String(seekSeconds)] : []),
    '-protocol_whitelist', protocols,
    '-f', 'mov',
    '-i', input,
    '-frames:v', '1', '-an',
    '-vf', `scale='min(${MAX_WIDTH},iw)':-2`,
    ...ENCODER_ARGS[format],
    'pipe:1',
  ];
}

export function createThumbnailer(ffmpegPath: string): Thumbnailer {
  let probed: Promise<ThumbnailFormat | null> | undefined;
  const format = (): Promise<ThumbnailFormat | null> => {
    probed ??= run(ffmpegPath, ['-hide_banner', '-nostdin', '-encoders'], PROBE_TIMEOUT_MS).then(
      ({ code, stdout }) => {
        if (code !== 0) return null;
        const encoders = stdout.toString();
        if (/^\s*V\S*\s+libwebp\s/m.test(encoders)) return 'webp';
        return /^\s*V\S*\s+mjpeg\s/m.test(encoders) ? 'jpg' : null;
      },
      () => null,
    );
    return probed;
  };

  return {
    format,
    async extract(source) {
      const chosen = await format();
      if (!chosen) return null;
      for (const seek of [SEEK_SECONDS, 0]) {
        const result = await run(ffmpegPath, frameArgs(source, seek, chosen), EXTRACT_TIMEOUT_MS);
        if (result.code === 0 && isImage(result.stdout, chosen)) return { data: result.stdout, format: chosen, contentType: CONTENT_TYPES[chosen] };
        if (seek === 0) throw new Error(`ffmpeg made no thumbnail (exit ${result.code}): ${result.stderr || 'no output'}`);
      }
      return null;
    },
  };
}
