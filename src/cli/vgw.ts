// vgw: the gateway's operator CLI. Talks to the REST API at VGW_URL with VGW_ADMIN_TOKEN, shows
// tables to people and JSON to scripts (--json), and exits non-zero with the API's message when
// a request fails. `npm run cli -- <command>` in the repository; `vgw <command>` once installed.
import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiClient, ApiError, type Query } from './api-client.ts';
import { record, table } from './render.ts';

type Row = Record<string, unknown>;

const print = (text: string): void => void process.stdout.write(`${text}\n`);
interface Page {
  data: Row[];
  next_cursor?: string | null;
}

const program = new Command('vgw')
  .description('Operate the video gateway through its admin API')
  .addOption(new Option('--url <url>', 'the gateway').env('VGW_URL').default('http://localhost:3000'))
  .addOption(new Option('--token <token>', 'an admin token').env('VGW_ADMIN_TOKEN'))
  .option('--json', 'print the API\'s JSON instead of tables')
  .option('--idempotency-key <key>', 'send this Idempotency-Key with a change (a retry then changes nothing twice)')
  .showHelpAfterError();

function client(): ApiClient {
  const { url, token, idempotencyKey } = program.opts<{ url: string; token?: string; idempotencyKey?: string }>();
  if (!token) throw new ApiError(0, 'no_token', 'no admin token: set VGW_ADMIN_TOKEN (or pass --token)');
  return new ApiClient({ baseUrl: url, token, idempotencyKey });
}

const json = () => program.opts<{ json?: boolean }>().json === true;

function showPage(page: Page, columns: string[]): void {
  if (json()) return void print(JSON.stringify(page, null, 2));
  print(table(page.data, columns));
  if (page.next_cursor) print(`more: --cursor ${page.next_cursor}`);
}

function showRecord(row: Row | undefined, done?: string): void {
  if (json()) return void print(JSON.stringify(row ?? null, null, 2));
  if (row) print(record(row));
  else if (done) print(done);
}

// Option parsers: a bad value is refused before any request.
const int = (value: string): number => {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('expected an integer');
  return Number(value);
};
const num = (value: string): number => {
  if (Number.isNaN(Number(value)) || value.trim() === '') throw new InvalidArgumentError('expected a number');
  return Number(value);
};
const list = (value: string): string[] => value.split(',').map((v) => v.trim()).filter(Boolean);
const nullableInt = (value: string): number | null => (value === 'none' ? null : int(value));
const pairs = (value: string, previous: Record<string, number> = {}): Record<string, number> => {
  const [tier, ratio] = value.split('=');
  if (!tier || ratio === undefined) throw new InvalidArgumentError('expected TIER=RATIO, e.g. 1080P=1.5');
  return { ...previous, [tier]: num(ratio) };
};

/** The options the API takes, as given (undefined ones left out). */
const defined = (values: Row): Row => Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));

const paging = (command: Command) => command.option('--limit <n>', '1–1000 rows per page', int).option('--cursor <cursor>', 'the next page (from "more:")');

function limitOptions(command: Command): Command {
  return command
    .option('--max-inflight <n|none>', 'unfinished tasks at once', nullableInt)
    .option('--rpm-limit <n|none>', 'requests per minute', nullableInt)
    .option('--allowed-ips <cidrs>', 'comma-separated addresses or CIDR ranges ("" for anywhere)', (v) => (v === '' ? [] : list(v)));
}
const limitBody = (o: Row) => defined({ max_inflight: o.maxInflight, rpm_limit: o.rpmLimit, allowed_ips: o.allowedIps });

const USER_COLUMNS = ['id', 'name', 'group', 'quota', 'used_quota', 'status', 'max_inflight', 'rpm_limit'];
const KEY_COLUMNS = ['id', 'user_id', 'name', 'key_prefix', 'status', 'quota', 'quota_used', 'inflight_tasks', 'max_inflight', 'rpm_limit', 'last_used_at'];
const CHANNEL_COLUMNS = ['id', 'name', 'base_url', 'api_key', 'status', 'status_reason', 'priority', 'weight', 'max_inflight'];
const TASK_COLUMNS = ['task_id', 'user_id', 'key_id', 'model', 'status', 'quota', 'channel_id', 'submit_time', 'fail_reason'];

program
  .command('me')
  .description('the calling token')
  .action(async () => showRecord(await client().request('GET', 'admin/me')));

const tokens = program.command('tokens').description('admin tokens');
tokens.command('list').action(async () => showPage(await client().request('GET', 'admin/tokens'), ['id', 'name', 'scope', 'token_prefix', 'last_used_at', 'created_at']));
tokens
  .command('create <name>')
  .addOption(new Option('--scope <scope>', 'read: GET only; write: everything').choices(['read', 'write']).makeOptionMandatory())
  .action(async (name: string, o: { scope: string }) => showRecord(await client().request('POST', 'admin/tokens', { body: { name, scope: o.scope } })));
tokens.command('delete <id>').action(async (id: string) => showRecord(await client().request('DELETE', `admin/tokens/${id}`), `admin token ${id} deleted`));

const users = program.command('users').description('users and their quota');
paging(users.command('list').option('--search <text>', 'part of the name, or the id').option('--status <status>').option('--group <group>')).action(async (o: Row) =>
  showPage(await client().request('GET', 'admin/users', { query: o as Query }), USER_COLUMNS),
);
users.command('show <id>').action(async (id: string) => showRecord(await client().request('GET', `admin/users/${id}`)));
limitOptions(users.command('create <name>').option('--group <group>').option('--quota <quota>', 'initial quota', int)).action(async (name: string, o: Row) =>
  showRecord(await client().request('POST', 'admin/users', { body: defined({ name, group: o.group, quota: o.quota, ...limitBody(o) }) })),
);
limitOptions(users.command('update <id>').option('--name <name>').option('--group <group>').addOption(new Option('--status <status>').choices(['enabled', 'disabled']))).action(
  async (id: string, o: Row) => showRecord(await client().request('PATCH', `admin/users/${id}`, { body: defined({ name: o.name, group: o.group, status: o.status, ...limitBody(o) }) })),
);
users
  .command('topup <id> <delta>')
  .description('add quota (a negative delta deducts)')
  .option('--note <note>')
  .action(async (id: string, delta: string, o: Row) => showRecord(await client().request('POST', `admin/users/${id}/quota`, { body: defined({ delta: int(delta), note: o.note }) })));

const keys = program.command('keys').description('API keys');
paging(keys.command('list').option('--user <id>', 'of one user', int).option('--status <status>')).action(async (o: Row) =>
  showPage(await client().request('GET', 'admin/keys', { query: { user_id: o.user as number | undefined, status: o.status as string | undefined, limit: o.limit as number | undefined, cursor: o.cursor as string | undefined } }), KEY_COLUMNS),
);
keys.command('show <id>').action(async (id: string) => showRecord(await client().request('GET', `admin/keys/${id}`)));
const keyOptions = (command: Command) =>
  limitOptions(
    command
      .option('--name <name>')
      .option('--models <models>', 'comma-separated allowed models', list)
      .option('--quota <quota|none>', "the key's own spending limit", nullableInt)
      .option('--expires-at <time>', 'unix seconds or ISO date-time')
      .option('--callback-url <url>')
      .option('--webhook-events <events>', 'comma-separated: task.queued, task.in_progress, task.succeeded, task.failed', list),
  );
const keyBody = (o: Row) => defined({ name: o.name, models: o.models, quota: o.quota, expires_at: o.expiresAt === undefined ? undefined : /^\d+$/.test(String(o.expiresAt)) ? Number(o.expiresAt) : o.expiresAt, callback_url: o.callbackUrl, webhook_events: o.webhookEvents, ...limitBody(o) });
keyOptions(keys.command('create <user_id>')).action(async (userId: string, o: Row) =>
  showRecord(await client().request('POST', 'admin/keys', { body: { user_id: int(userId), ...keyBody(o) } })),
);
keyOptions(keys.command('update <id>').addOption(new Option('--status <status>').choices(['enabled', 'disabled'])).option('--rotate-webhook-secret')).action(async (id: string, o: Row) =>
  showRecord(await client().request('PATCH', `admin/keys/${id}`, { body: defined({ ...keyBody(o), status: o.status, rotate_webhook_secret: o.rotateWebhookSecret }) })),
);
keys
  .command('console-session <id>')
  .description('a link that opens the web console (playground) as this key, without the key: works once, within a minute')
  .action(async (id: string) => {
    const answer = await client().request<Row>('POST', `admin/keys/${id}/console-session`);
    // A replay (--idempotency-key) answers without the code: no link to make then.
    const code = String(answer.code);
    const base = program.opts<{ url: string }>().url.replace(/\/+$/, '');
    showRecord(code === '[redacted]' ? answer : { ...answer, url: `${base}/console/act#code=${encodeURIComponent(code)}` });
  });
keys.command('revoke <id>').description('revoke for good').action(async (id: string) => showRecord(await client().request('DELETE', `admin/keys/${id}`), `API key ${id} revoked`));

const channels = program.command('channels').description('upstream accounts');
paging(channels.command('list').option('--status <status>').option('--model <model>')).action(async (o: Row) =>
  showPage(await client().request('GET', 'admin/channels', { query: o as Query }), CHANNEL_COLUMNS),
);
channels.command('show <id>').action(async (id: string) => showRecord(await client().request('GET', `admin/channels/${id}`)));
const channelOptions = (command: Command) =>
  command
    .option('--models <models>', 'comma-separated models served (all when absent)', list)
    .option('--priority <n>', 'higher first', int)
    .option('--weight <n>', 'share within a priority', int)
    .option('--submit-qps <n|none>', 'upstream submits per second', nullableInt)
    .option('--query-qps <n|none>', 'upstream queries per second', nullableInt)
    .option('--max-inflight <n|none>', 'unfinished tasks on it at once', nullableInt);
const channelBody = (o: Row) =>
  defined({ name: o.name, base_url: o.baseUrl, api_key: o.apiKey, models: o.models, priority: o.priority, weight: o.weight, submit_qps: o.submitQps, query_qps: o.queryQps, max_inflight: o.maxInflight });
channelOptions(channels.command('add').requiredOption('--name <name>').requiredOption('--base-url <url>').requiredOption('--api-key <key>')).action(async (o: Row) =>
  showRecord(await client().request('POST', 'admin/channels', { body: channelBody(o) })),
);
channelOptions(channels.command('update <id>').option('--name <name>').option('--base-url <url>').option('--api-key <key>')).action(async (id: string, o: Row) =>
  showRecord(await client().request('PATCH', `admin/channels/${id}`, { body: channelBody(o) })),
);
channels.command('test <id>').description('one authenticated call with its key').action(async (id: string) => showRecord(await client().request('POST', `admin/channels/${id}/test`)));
channels.command('enable <id>').action(async (id: string) => showRecord(await client().request('PATCH', `admin/channels/${id}`, { body: { status: 'enabled' } })));
channels.command('disable <id>').action(async (id: string) => showRecord(await client().request('PATCH', `admin/channels/${id}`, { body: { status: 'disabled' } })));
channels.command('remove <id>').action(async (id: string) => showRecord(await client().request('DELETE', `admin/channels/${id}`), `channel ${id} removed`));

const models = program.command('models').description('prices');
models.command('list').action(async () => showPage(await client().request('GET', 'admin/models'), ['model', 'price', 'resolution_ratios', 'enabled']));
models
  .command('set-price <model>')
  .option('--price <usd>', 'USD per second at ratio 1', num)
  .option('--ratio <tier=ratio>', 'a resolution ratio, e.g. 1080P=1.5 (repeat for more; replaces them all)', pairs)
  .option('--enable')
  .option('--disable')
  .action(async (model: string, o: Row) =>
    showRecord(
      await client().request('PATCH', `admin/models/${model}`, {
        body: defined({ price: o.price, resolution_ratios: o.ratio, enabled: o.enable ? true : o.disable ? false : undefined }),
      }),
    ),
  );

const groups = program.command('groups').description('pricing groups');
groups.command('list').action(async () => showPage(await client().request('GET', 'admin/groups'), ['name', 'ratio', 'updated_at']));
groups.command('create <name> <ratio>').action(async (name: string, ratio: string) => showRecord(await client().request('POST', 'admin/groups', { body: { name, ratio: num(ratio) } })));
groups.command('update <name> <ratio>').action(async (name: string, ratio: string) => showRecord(await client().request('PATCH', `admin/groups/${name}`, { body: { ratio: num(ratio) } })));

const tasks = program.command('tasks').description('tasks');
paging(
  tasks
    .command('list')
    .option('--user <id>', '', int)
    .option('--key <id>', '', int)
    .option('--status <status>')
    .option('--model <model>')
    .option('--channel <id>', '', int)
    .option('--from <unix>', 'submitted at or after', int)
    .option('--to <unix>', 'submitted before', int),
).action(async (o: Row) =>
  showPage(
    await client().request('GET', 'admin/tasks', {
      query: { user_id: o.user, key_id: o.key, status: o.status, model: o.model, channel_id: o.channel, from: o.from, to: o.to, limit: o.limit, cursor: o.cursor } as Query,
    }),
    TASK_COLUMNS,
  ),
);
tasks.command('show <task_id>').action(async (taskId: string) => showRecord(await client().request('GET', `admin/tasks/${taskId}`)));
tasks
  .command('fail <task_id>')
  .description('end an unfinished task as FAILURE with a full refund')
  .requiredOption('--reason <reason>')
  .action(async (taskId: string, o: Row) => showRecord(await client().request('POST', `admin/tasks/${taskId}/fail`, { body: { reason: o.reason } })));

paging(
  program
    .command('logs')
    .description('quota movements')
    .option('--user <id>', '', int)
    .option('--task <task_id>')
    .option('--type <n>', '1 top-up, 2 consume, 3 manage, 6 refund', int)
    .option('--model <model>')
    .option('--from <unix>', '', int)
    .option('--to <unix>', '', int)
    .option('--csv', 'every matching row as CSV'),
).action(async (o: Row) => {
  const query = { user_id: o.user, task_id: o.task, type: o.type, model: o.model, from: o.from, to: o.to } as Query;
  if (o.csv) return void process.stdout.write(await client().request<string>('GET', 'admin/logs', { query: { ...query, format: 'csv' }, text: true }));
  showPage(await client().request('GET', 'admin/logs', { query: { ...query, limit: o.limit as number | undefined, cursor: o.cursor as string | undefined } }), [
    'id',
    'created_at',
    'type',
    'user_id',
    'key_id',
    'task_id',
    'model',
    'quota',
    'content',
  ]);
});

paging(program.command('webhooks').description('webhook delivery attempts').option('--task <task_id>')).action(async (o: Row) =>
  showPage(await client().request('GET', 'admin/webhooks', { query: { task_id: o.task, limit: o.limit, cursor: o.cursor } as Query }), [
    'id',
    'created_at',
    'task_id',
    'event',
    'attempt',
    'status_code',
    'delivered',
    'error',
  ]),
);

program
  .command('usage')
  .description('usage per day, model, user or key')
  .addOption(new Option('--by <grouping>').choices(['day', 'model', 'user', 'key']).default('day'))
  .option('--from <day>', 'YYYY-MM-DD or unix seconds')
  .option('--to <day>', 'YYYY-MM-DD or unix seconds (inclusive)')
  .option('--user <id>', '', int)
  .action(async (o: Row) =>
    showPage(await client().request('GET', 'admin/usage', { query: { group_by: o.by, from: o.from, to: o.to, user_id: o.user } as Query }), [
      'bucket',
      'tasks',
      'succeeded',
      'failed',
      'seconds',
      'quota_charged',
      'quota_refunded',
      'quota_net',
    ]),
  );

paging(program.command('audit').description('who changed what').option('--actor <name|id>').option('--action <action>').option('--target-type <type>').option('--target-id <id>')).action(
  async (o: Row) =>
    showPage(
      await client().request('GET', 'admin/audit', {
        query: { actor: o.actor, action: o.action, target_type: o.targetType, target_id: o.targetId, limit: o.limit, cursor: o.cursor } as Query,
      }),
      ['id', 'created_at', 'actor', 'action', 'target_type', 'target_id', 'ip'],
    ),
);

program
  .command('system')
  .description('queues, channels, open tasks')
  .action(async () => {
    const system = await client().request<{ queues: Record<string, Row | null>; queues_error: string | null; channels: Row[]; open_tasks: Row }>('GET', 'admin/system');
    if (json()) return void print(JSON.stringify(system, null, 2));
    print(table(Object.entries(system.queues).map(([queue, counts]) => ({ queue, ...(counts ?? {}) })), ['queue', 'waiting', 'active', 'delayed', 'failed']));
    if (system.queues_error) print(system.queues_error);
    print(table(system.channels, ['id', 'name', 'status', 'last_error', 'retest_at']));
    print(record(system.open_tasks));
  });

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof ApiError) {
    console.error(`error: ${err.message}${err.status ? ` (${err.code}, HTTP ${err.status})` : ''}`);
    process.exit(1);
  }
  throw err;
}
