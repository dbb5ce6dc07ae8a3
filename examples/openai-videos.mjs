// The whole life of a video through the gateway, with nothing but the official `openai` package:
// create, poll until it ends, list, download, delete.
//
//   npm install openai            # in any project; 6.x or 7.x
//   OPENAI_BASE_URL=http://localhost:3000/v1 OPENAI_API_KEY=sk-... node openai-videos.mjs [output.mp4]
//
// The video goes to output.mp4 when given, else into a new folder under the system's temporary
// directory (never the current one); the last lines say where.
// OPENAI_BASE_URL and OPENAI_API_KEY are the SDK's own variables: no gateway-specific code below.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';

const [outputArg] = process.argv.slice(2);

const client = new OpenAI();

const created = await client.videos.create({
  model: 'wan2.7-t2v',
  prompt: 'A small cat running under moonlight, fur gently flowing in the wind, cinematic slow motion',
  seconds: '5',
  size: '1280x720',
});
console.log(`created ${created.id}: ${created.status}, ${created.seconds} s at ${created.size}`);

// openai-node has no poll helper for videos; the gateway says how long to wait in openai-poll-after-ms.
let video = created;
while (video.status === 'queued' || video.status === 'in_progress') {
  const { data, response } = await client.videos.retrieve(video.id).withResponse();
  video = data;
  console.log(`  ${video.status} ${video.progress}%`);
  const wait = Number(response.headers.get('openai-poll-after-ms') ?? 5_000);
  if (video.status === 'queued' || video.status === 'in_progress') await new Promise((r) => setTimeout(r, wait));
}
if (video.status !== 'completed') throw new Error(`video ${video.id} ${video.status}: ${video.error?.message}`);

const page = await client.videos.list({ limit: 5, order: 'desc' });
console.log(`latest videos: ${page.data.map((v) => `${v.id} (${v.status})`).join(', ')}`);

const content = await client.videos.downloadContent(video.id);
const bytes = Buffer.from(await content.arrayBuffer());
const output = outputArg ?? path.join(await mkdtemp(path.join(tmpdir(), 'wan-video-')), `${video.id}.mp4`);
await writeFile(output, bytes);
console.log(`downloaded ${video.id} to ${output}: ${bytes.length} bytes (${content.headers.get('content-type')})`);

const deleted = await client.videos.delete(video.id);
console.log(`deleted: ${JSON.stringify(deleted)}`);
