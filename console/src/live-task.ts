// A task followed live: fetched once, then kept current by its server-sent events (each message is
// the same object its GET answers), read with one fetch-based reader (event-stream.ts). Should the
// stream fail (refused, cut, a proxy that does not pass event streams), the task is polled instead,
// and the page says so. The customer's videos and the operator's task detail are both followed so.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

/** How the page learns of changes: the event stream, or, after it failed, a read every POLL_MS. */
export type LiveVia = 'stream' | 'polling';
export const POLL_MS = 3_000;

/** Where a kind of task is read and followed; defined once per kind, outside any component. */
export interface LiveSource<T> {
  queryKey: (id: string) => readonly unknown[];
  read: (id: string) => Promise<T>;
  /** Follows the task's event stream, handing on each message's object; settles as readEventStream does. */
  follow: (id: string, onMessage: (value: T) => void, signal: AbortSignal) => Promise<void>;
  /** Nothing more will change; until then a stream that ends (it carries status changes only) gives way to polling. */
  isFinal: (value: T | undefined) => boolean;
}

export function useLiveTask<T>(source: LiveSource<T>, id: string | null) {
  const client = useQueryClient();
  // The task polled: its stream failed, or ended with the task still changing. Another task (the
  // playground's next) tries the stream again.
  const [pollingFor, setPollingFor] = useState<string | null>(null);
  const via: LiveVia = id !== null && pollingFor === id ? 'polling' : 'stream';
  const task = useQuery({
    queryKey: id === null ? ['live-task', null] : source.queryKey(id),
    queryFn: () => source.read(id as string),
    enabled: id !== null,
    refetchInterval: (query) => (via === 'polling' && !source.isFinal(query.state.data) ? POLL_MS : false),
  });
  const final = source.isFinal(task.data);
  const known = task.data !== undefined;
  useEffect(() => {
    if (id === null || !known || final || via === 'polling') return;
    const stop = new AbortController();
    const key = source.queryKey(id);
    source.follow(id, (value) => client.setQueryData(key, value), stop.signal).then(
      () => {
        if (!stop.signal.aborted && !source.isFinal(client.getQueryData<T>(key))) setPollingFor(id);
      },
      () => {
        if (stop.signal.aborted) return;
        // Poll instead, starting with a read now for whatever changed while the stream was down.
        setPollingFor(id);
        void client.invalidateQueries({ queryKey: key });
      },
    );
    return () => stop.abort();
  }, [source, id, known, final, via, client]);
  return { task, via };
}
