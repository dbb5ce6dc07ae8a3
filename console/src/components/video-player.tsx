import { type Video, videoContentUrl } from '../api/customer.ts';
import type { LiveVia } from '../live-task.ts';
import { isFinal } from '../live-video.ts';
import { LiveNote } from './ui.tsx';

/** A finished video played inline, with a download link; the request carries the session cookie. */
export function VideoPlayer({ video }: { video: Video }) {
  if (video.status !== 'completed') return null;
  const src = videoContentUrl(video.id);
  return (
    <figure className="player">
      <video src={src} controls preload="auto" playsInline poster={videoContentUrl(video.id, 'thumbnail')} aria-label={`Video ${video.id}`} data-testid="result-video" />
      <figcaption>
        <a href={src} download={`${video.id}.mp4`} className="button">
          Download MP4
        </a>
      </figcaption>
    </figure>
  );
}

export function Progress({ video, via }: { video: Video; via: LiveVia }) {
  return (
    <div className="progress-line">
      <progress max={100} value={video.progress} aria-label={`Progress of ${video.id}`} />
      <span data-testid="video-status">
        {video.status}
        {video.queue_position ? ` (${video.queue_position} ahead in the queue)` : ''} · {video.progress}%
      </span>
      {isFinal(video) ? null : <LiveNote via={via} />}
    </div>
  );
}
