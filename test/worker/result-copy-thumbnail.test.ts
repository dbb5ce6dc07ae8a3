// Thumbnails made by the real ffmpeg from real videos (generated here with ffmpeg's test source):
// a frame about a second in, at most 640 px wide, WebP when ffmpeg has libwebp, JPEG otherwise,
// the first frame of a video shorter than that; no ffmpeg, no thumbnail.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createThumbnailer } from '../../src/worker/result-copy-thumbnail.ts';
import { FFMPEG, FFPROBE, skipWithoutFfmpeg } from '../helpers/ffmpeg.ts';
import { scratchDir } from '../storage/helpers.ts';

let dir: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  dir = await scratchDir();
});
afterAll(() => dir.remove());

function makeVideo(name: string, size: string, seconds: number): string {
  const path = join(dir.path, name);
  const made = spawnSync(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25:duration=${seconds}`, '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-y', path]);
  expect(made.status, made.stderr.toString()).toBe(0);
  return path;
}

function imageSize(data: Buffer, name: string): { width: number; height: number } {
  const path = join(dir.path, name);
  writeFileSync(path, data);
  const probe = spawnSync(FFPROBE, ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'json', path]);
  const stream = JSON.parse(probe.stdout.toString()).streams[0];
  return { width: stream.width, height: stream.height };
}

describe('with ffmpeg', () => {
  beforeEach(({ skip }) => skipWithoutFfmpeg(skip));

  it('makes a WebP at most 640 px wide, keeping the aspect ratio', async () => {
    const thumbnail = await createThumbnailer(FFMPEG).extract(makeVideo('wide.mp4', '1280x720', 3));
    expect(thumbnail).toMatchObject({ format: 'webp', contentType: 'image/webp' });
    expect(thumbnail!.data.toString('latin1', 8, 12)).toBe('WEBP');
    expect(imageSize(thumbnail!.data, 'wide.webp')).toEqual({ width: 640, height: 360 });
  });

  it('does not enlarge a small video', async () => {
    const thumbnail = await createThumbnailer(FFMPEG).extract(makeVideo('small.mp4', '320x240', 2));
    expect(imageSize(thumbnail!.data, 'small.webp')).toEqual({ width: 320, height: 240 });
  });

  it('takes the first frame of a video shorter than a second', async () => {
    const thumbnail = await createThumbnailer(FFMPEG).extract(makeVideo('short.mp4', '320x240', 0.4));
    expect(thumbnail?.format).toBe('webp');
    expect(imageSize(thumbnail!.data, 'short.webp')).toEqual({ width: 320, height: 240 });
  });

  it('makes JPEG with an ffmpeg that cannot encode WebP, and asks ffmpeg what it can do only once', async () => {
    const calls = join(dir.path, 'calls.log');
    const wrapper = join(dir.path, 'ffmpeg-without-webp');
    await writeFile(
      wrapper,
      `#!/bin/sh\necho "$*" >> '${calls}'\ncase " $* " in *" -encoders "*) '${FFMPEG}' "$@" | grep -v libwebp; exit 0;; esac\nexec '${FFMPEG}' "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const thumbnailer = createThumbnailer(wrapper);
    const video = makeVideo('plain.mp4', '800x600', 2);
    for (let i = 0; i < 3; i++) {
      const thumbnail = await thumbnailer.extract(video);
      expect(thumbnail).toMatchObject({ format: 'jpg', contentType: 'image/jpeg' });
      expect(thumbnail!.data.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(imageSize(thumbnail!.data, `plain${i}.jpg`)).toEqual({ width: 640, height: 480 });
    }
    const lines = (await readFile(calls, 'utf8')).trim().split('\n');
    expect(lines.filter((l) => l.includes('-encoders'))).toHaveLength(1);
  });

  // The "video" comes from the upstream: one that is really a playlist must not make ffmpeg open
  // whatever it lists, locally or on the network.
  it('does not follow a playlist disguised as a video, read from a file', async () => {
    const real = makeVideo('listed.mp4', '320x240', 2);
    const path = join(dir.path, 'playlist.mp4');
    await writeFile(path, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2,\nfile:${real}\n#EXT-X-ENDLIST\n`);
    await expect(createThumbnailer(FFMPEG).extract(path)).rejects.toThrow(/ffmpeg made no thumbnail/);
  });

  it('does not follow a playlist disguised as a video, read over HTTP', async () => {
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(req.url ?? '');
      if (req.url === '/video.mp4') res.end(`#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2,\nhttp://127.0.0.1:${(server.address() as { port: number }).port}/internal.ts\n#EXT-X-ENDLIST\n`);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/video.mp4`;
      await expect(createThumbnailer(FFMPEG).extract(url)).rejects.toThrow(/ffmpeg made no thumbnail/);
      expect(asked.filter((u) => u !== '/video.mp4')).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('fails on something that is not a video', async () => {
    const path = join(dir.path, 'not-a-video.mp4');
    await writeFile(path, 'this is text');
    await expect(createThumbnailer(FFMPEG).extract(path)).rejects.toThrow(/ffmpeg made no thumbnail/);
  });
});

describe('without ffmpeg', () => {
  it('makes no thumbnail, and says so without failing', async () => {
    const thumbnailer = createThumbnailer(join(dir.path, 'no-such-ffmpeg'));
    expect(await thumbnailer.format()).toBeNull();
    expect(await thumbnailer.extract('/any/video.mp4')).toBeNull();
  });
});
