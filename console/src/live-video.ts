// A task followed live: fetched once, then kept current by the server-sent events of
// GET /v1/videos/{id}/events (each message is the same object the GET answers).
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { customerApi, type Video, videoEventsUrl } from './api/customer.ts';

export const isFinal = (video: Video | undefined): boolean => video?.status === 'completed' || video?.status === 'failed';

export function useLiveVideo(id: string | null) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: ['me', 'video', id], queryFn: () => customerApi.video(id as string), enabled: id !== null });
  const final = isFinal(query.data);
  const known = query.data !== undefined;
  useEffect(() => {
    if (id === null || !known || final) return;
    // The session cookie goes with it: EventSource requests are same-origin GETs.
    const source = new EventSource(videoEventsUrl(id));
    source.onmessage = (event) => client.setQueryData(['me', 'video', id], JSON.parse(event.data) as Video);
    source.addEventListener('end', () => source.close());
    return () => source.close();
  }, [id, known, final, client]);
  return query;
}
