// A customer's video followed live (live-task.ts) over GET /v1/videos/{id}/events.
import { customerApi, type Video, videoEventsUrl } from './api/customer.ts';
import { readEventStream } from './event-stream.ts';
import { type LiveSource, useLiveTask } from './live-task.ts';

export const isFinal = (video: Video | undefined): boolean => video?.status === 'completed' || video?.status === 'failed';

const videos: LiveSource<Video> = {
  queryKey: (id) => ['me', 'video', id],
  read: customerApi.video,
  // The session cookie goes with it: a same-origin fetch.
  follow: (id, onMessage, signal) => readEventStream(videoEventsUrl(id), { signal, onMessage: (data) => onMessage(JSON.parse(data) as Video) }),
  isFinal,
};

export function useLiveVideo(id: string | null) {
  const { task, via } = useLiveTask(videos, id);
  return { video: task, via };
}
