// A task followed live: fetched once, then kept current by the server-sent events of
// GET /v1/videos/{id}/events (each message is the same object the GET answers). Should the stream
// fail (refused, cut, a proxy that does not pass event streams), the task is polled instead.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { customerApi, type Video, videoEventsUrl } from './api/customer.ts';

export const isFinal = (video: Video | undefined): boolean => video?.status === 'completed' || video?.status === 'failed';

/** How the page learns of changes: the event stream, or, after it failed, a read every POLL_MS. */
export type LiveVia = 'stream' | 'polling';
export const POLL_MS = 3_000;

export function useLiveVideo(id: string | null) {
  const client = useQueryClient();
  // The task whose stream failed: another task (the playground's next) tries the stream again.
  const [streamFailedFor, setStreamFailedFor] = useState<string | null>(null);
  const via: LiveVia = id !== null && streamFailedFor === id ? 'polling' : 'stream';
  const video = useQuery({
    queryKey: ['me', 'video', id],
    queryFn: () => customerApi.video(id as string),
    enabled: id !== null,
    refetchInterval: (query) => (via === 'polling' && !isFinal(query.state.data) ? POLL_MS : false),
  });
  const final = isFinal(video.data);
  const known = video.data !== undefined;
  useEffect(() => {
    if (id === null || !known || final || via === 'polling') return;
    // The session cookie goes with it: EventSource requests are same-origin GETs.
    const source = new EventSource(videoEventsUrl(id));
    source.onmessage = (event) => client.setQueryData(['me', 'video', id], JSON.parse(event.data) as Video);
    // The stream ends itself with `end` once the task is final; closing first keeps the browser from reconnecting.
    source.addEventListener('end', () => source.close());
    // EventSource would retry on its own, but a stream that keeps failing shows nothing meanwhile:
    // poll instead, starting with a read now for whatever changed while it was down.
    source.onerror = () => {
      source.close();
      setStreamFailedFor(id);
      void client.invalidateQueries({ queryKey: ['me', 'video', id] });
    };
    return () => source.close();
  }, [id, known, final, via, client]);
  return { video, via };
}
