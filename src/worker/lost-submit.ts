// A submit whose answer was lost: the worker marked the task before sending it (claimSubmit), then
// died, or the connection broke after the request left, so nobody knows whether DashScope created
// a task. Submitting again could make the operator pay for two; so once that submit can no longer
// be under way anywhere, the account's task list for the model around that moment decides:
//
//   - an upstream task that no gateway task accounts for is the lost one: the task adopts it and
//     carries on from there (QUEUED), without a second submit;
//   - none: the submit created nothing, the mark goes and the task is submitted again;
//   - more than the lost submits of that moment can explain: the rest are duplicates, cancelled
//     (DashScope allows it while they are PENDING) and written down either way.
//
// When several submits to the same account and model were lost around the same moment, the list
// cannot say whose task is whose (it shows ids and times, never the request), and adopting another
// task's video would hand one client another client's result. Then only an upstream task that
// finished with this task's own prompt (`orig_prompt`) is adopted; one that failed or was
// cancelled is nobody's loss (DashScope charges for neither) and is written down, not adopted; while
// any is still running, the task looks again later. What is left unmatched is submitted again.
//
// A task that ended (cancelled, timed out) with its submit still lost is settled already; only the
// upstream side is left to tidy, the same way.
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.ts';
import type { NormalizedRequest } from '../modules/tasks/normalize-request.ts';
import type { TaskRow } from '../modules/tasks/tasks.repository.ts';
import { buildSubmitBody } from '../upstream/dashscope-submit-body.ts';
import type { ListedTask, UpstreamChannel, UpstreamClient } from '../upstream/types.ts';
import { QUEUED_PROGRESS } from './progress.ts';
import { clearLostSubmit, markSubmitted } from './task-store.ts';
import { hasOtherLostSubmit, knownUpstreamIds, recordOrphan } from './upstream-orphans.ts';

export interface LostSubmitDeps {
  db: Db;
  channel: (id: number) => Promise<UpstreamChannel | undefined>;
  upstream: Pick<UpstreamClient, 'list' | 'cancel' | 'query'>;
  /** The longest a submit request can take (UPSTREAM_TIMEOUT_MS). */
  upstreamTimeoutMs: number;
  /** How soon to look again at upstream tasks still running (POLL_INTERVAL_MS). */
  pollIntervalMs: number;
  log: FastifyBaseLogger;
}

/** Clocks here and upstream disagree a little; creation times are compared with this much slack. */
const CLOCK_SLACK_MS = 2_000;
const PAGE_SIZE = 100;
const MAX_PAGES = 20;

export type LostSubmitOutcome =
  /** Too early to tell: a submit sent at that moment could still be in flight. Look again after `waitMs`. */
  | { kind: 'wait'; waitMs: number }
  /** The task list could not be read; look again later. */
  | { kind: 'unavailable' }
  | { kind: 'adopted'; upstreamTaskId: string }
  /** Nothing was created upstream (or the task's end made it moot): the mark is gone. */
  | { kind: 'cleared' };

/**
 * How long after a lost submit's mark its upstream task list can be trusted: by then any submit
 * sent around that moment, by any worker, has either been recorded or been lost too.
 */
export const lostAfterMs = (upstreamTimeoutMs: number): number => 2 * (upstreamTimeoutMs + CLOCK_SLACK_MS) + CLOCK_SLACK_MS;

/** The task ended while its lost submit was being resolved: nothing to adopt it into. */
class TaskMovedOn extends Error {}

export async function resolveLostSubmit(deps: LostSubmitDeps, task: TaskRow): Promise<LostSubmitOutcome> {
  const startedAt = task.submitStartedAt;
  if (!startedAt) return { kind: 'cleared' };
  const age = Date.now() - startedAt.getTime();
  const due = lostAfterMs(deps.upstreamTimeoutMs);
  if (age < due) return { kind: 'wait', waitMs: due - age };

  const channel = task.channelId === null ? undefined : await deps.channel(task.channelId);
  if (!channel || task.channelId === null) {
    // The account is gone: nothing there can be found or cancelled.
    await clearLostSubmit(deps.db, task.id, startedAt);
    return { kind: 'cleared' };
  }
  const from = new Date(startedAt.getTime() - CLOCK_SLACK_MS);
  const to = new Date(startedAt.getTime() + deps.upstreamTimeoutMs + CLOCK_SLACK_MS);
  const listed = await listAll(deps, channel, { from, to, model: task.upstreamModel });
  if (!listed) return { kind: 'unavailable' };
  const known = await knownUpstreamIds(deps.db, listed.map((t) => t.upstreamTaskId));
  const unclaimed = listed.filter((t) => !known.has(t.upstreamTaskId)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const log = deps.log.child({ task_id: task.taskId, channel_id: channel.id });

  const open = task.status === 'NOT_START';
  const othersLost = (window: number) =>
    hasOtherLostSubmit(deps.db, { id: task.id, channelId: channel.id, upstreamModel: task.upstreamModel, from: new Date(from.getTime() - window), to: new Date(to.getTime() + window) });
  let candidates = open ? unclaimed : [];
  if (candidates.length > 0 && (await othersLost(deps.upstreamTimeoutMs + CLOCK_SLACK_MS))) {
    const matched = await ownFinishedTasks(deps, channel, task, candidates);
    if (matched === 'undecided') return { kind: 'wait', waitMs: deps.pollIntervalMs };
    candidates = matched;
  }

  let adopted: string | null = null;
  for (const candidate of candidates) {
    // The orphan's row is the claim (of two tasks resolving at once, one gets each upstream task),
    // and it stands only together with the task's record of it.
    const taken = await deps.db.transaction().execute(async (tx) => {
      const claimed = await recordOrphan(tx, { channelId: channel.id, upstreamTaskId: candidate.upstreamTaskId, outcome: 'adopted', taskId: task.taskId });
      if (!claimed) return 'someone else';
      const recorded = await markSubmitted(tx, task.id, {
        channelId: channel.id,
        upstreamModel: task.upstreamModel,
        upstreamTaskId: candidate.upstreamTaskId,
        data: { adopted: { upstream_task_id: candidate.upstreamTaskId, status: candidate.status } },
        progress: QUEUED_PROGRESS,
      });
      if (!recorded) throw new TaskMovedOn();
      return 'ours';
    }).catch((err: unknown) => {
      if (err instanceof TaskMovedOn) return 'task moved on';
      throw err;
    });
    if (taken === 'someone else') continue;
    if (taken === 'ours') {
      adopted = candidate.upstreamTaskId;
      log.warn({ upstream_task_id: adopted }, 'a submit whose answer was lost had created an upstream task: adopted it');
    }
    break;
  }

  // Upstream tasks of that moment that nobody can still claim are duplicates.
  const rest = unclaimed.filter((t) => t.upstreamTaskId !== adopted);
  if (rest.length > 0 && !(await othersLost(due))) {
    for (const orphan of rest) await cancelOrphan(deps, channel, orphan, task, log);
  }
  if (adopted) return { kind: 'adopted', upstreamTaskId: adopted };
  await clearLostSubmit(deps.db, task.id, startedAt);
  if (open) log.warn('a submit whose answer was lost created nothing upstream: submitting again');
  return { kind: 'cleared' };
}

/**
 * Among upstream tasks that any of several lost submits may have created, the ones this task can
 * tell are its own: finished with its prompt. Failed and cancelled ones are written down as nobody's
 * (so no other task adopts a failure that may not be its own); 'undecided' while any still runs.
 */
async function ownFinishedTasks(deps: LostSubmitDeps, channel: UpstreamChannel, task: TaskRow, candidates: ListedTask[]): Promise<ListedTask[] | 'undecided'> {
  const sent = buildSubmitBody(task.request as unknown as NormalizedRequest, task.upstreamModel).input.prompt;
  const own: ListedTask[] = [];
  let undecided = false;
  for (const candidate of candidates) {
    const outcome = await deps.upstream.query(channel, candidate.upstreamTaskId);
    if (!outcome.ok) {
      undecided = true;
      continue;
    }
    const { state, body } = outcome.task;
    if (state === 'SUCCEEDED') {
      if (isPromptOf(sent, (body.output as Record<string, unknown> | undefined)?.orig_prompt)) own.push(candidate);
    } else if (state === 'PENDING' || state === 'RUNNING') {
      undecided = true;
    } else {
      await recordOrphan(deps.db, { channelId: channel.id, upstreamTaskId: candidate.upstreamTaskId, outcome: 'not_charged', taskId: task.taskId });
    }
  }
  return own.length > 0 || !undecided ? own : 'undecided';
}

/** DashScope echoes the prompt it ran, cut to its length limit when it was longer. */
function isPromptOf(sent: unknown, echoed: unknown): boolean {
  if (typeof sent !== 'string' || typeof echoed !== 'string') return (sent ?? null) === null && (echoed ?? null) === null;
  return sent === echoed || (echoed.length > 0 && sent.startsWith(echoed));
}

async function cancelOrphan(deps: LostSubmitDeps, channel: UpstreamChannel, orphan: ListedTask, task: TaskRow, log: FastifyBaseLogger): Promise<void> {
  const outcome = await deps.upstream.cancel(channel, orphan.upstreamTaskId);
  const written = await recordOrphan(deps.db, {
    channelId: channel.id,
    upstreamTaskId: orphan.upstreamTaskId,
    outcome: outcome.ok ? 'cancelled' : 'cancel_failed',
    taskId: task.taskId,
  });
  if (written) log.warn({ upstream_task_id: orphan.upstreamTaskId, cancelled: outcome.ok }, 'a duplicate upstream task from a lost submit: cancelled it');
}

async function listAll(deps: LostSubmitDeps, channel: UpstreamChannel, query: { from: Date; to: Date; model: string }): Promise<ListedTask[] | null> {
  const tasks: ListedTask[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const outcome = await deps.upstream.list(channel, { ...query, page, pageSize: PAGE_SIZE });
    if (!outcome.ok) {
      deps.log.warn({ channel_id: channel.id, code: outcome.failure.code }, `could not read the upstream task list: ${outcome.failure.message}`);
      return null;
    }
    tasks.push(...outcome.tasks);
    if (page >= outcome.pages || outcome.tasks.length < PAGE_SIZE) break;
  }
  return tasks;
}
