// A remix is a wan2.7-videoedit task, so DashScope must be able to fetch the original video.
// Its own link does for a day; after that the gateway's copy must be reachable from DashScope
// (an S3 bucket, or PUBLIC_BASE_URL on the internet).
import type { ResultLinks } from '../../storage/result-links.ts';
import type { TaskRow } from './tasks.repository.ts';

// A margin under DashScope's 24 hours, so the link still works when the upstream fetches it.
const UPSTREAM_LINK_USABLE_MS = 20 * 3600_000;

export async function sourceVideoUrl(task: TaskRow, links: ResultLinks): Promise<string> {
  const fresh = task.finishTime !== null && Date.now() - task.finishTime.getTime() < UPSTREAM_LINK_USABLE_MS;
  return fresh && task.resultUrl ? task.resultUrl : links.linkFor(task);
}
