// The web console end to end in a real headless Chromium (playwright-core), against the whole
// gateway and its DashScope simulator: an operator makes a customer, the customer signs in and
// makes a video in the playground, each sees the charge; a customer cannot open another's task;
// a page of another origin cannot make changes with the customer's cookie. A screenshot of every
// page (and of any failure) goes to test-results/console/.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, NO_CHROMIUM } from '../helpers/chromium.ts';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { createCustomer, specExamples } from '../helpers/factories.ts';
import { freePort } from '../helpers/free-port.ts';
import { createGatewayContext, type GatewayContext, SIM_KEY, submit } from '../helpers/gateway.ts';

// What the functions run inside the page see (the tests are typed for Node, not the DOM).
declare const document: any;
declare const sessionStorage: any;
declare const localStorage: any;
declare const navigator: any;
type HTMLVideoElement = any;
type HTMLInputElement = any;

// A 1×1 PNG: the first frame the playground uploads.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

const SHOTS = path.resolve(import.meta.dirname, '../../test-results/console');

if (!CHROMIUM) console.error(`skipping the browser tests: ${NO_CHROMIUM}`);

describe.skipIf(!CHROMIUM)('the web console in Chromium', () => {
  let ctx: GatewayContext;
  let browser: Browser;
  let context: BrowserContext;
  let attacker: Server;
  let attackerUrl: string;
  /** The console's origin: localhost (the gateway's PUBLIC_BASE_URL says 127.0.0.1; both are this host). */
  let origin: string;
  const cspViolations: string[] = [];

  // What the steps hand on to each other.
  let userId = 0;
  let customerKey = '';
  let taskId = '';

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ctx = await createGatewayContext();
    origin = ctx.baseUrl.replace('127.0.0.1', 'localhost');
    // Another origin on the same site (same host, another port): SameSite=Strict cookies go along.
    const port = await freePort();
    attackerUrl = `http://localhost:${port}`;
    attacker = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>attacker</title>
<form id="f" method="POST" action="${origin}/v1/videos" enctype="multipart/form-data">
  <input name="model" value="wan2.7-t2v"><input name="prompt" value="paid for by the victim">
</form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(port, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await ctx?.close();
  });

  /** A new tab that records Content-Security-Policy violations (there must be none). */
  async function newPage(ctxt = context): Promise<Page> {
    const page = await ctxt.newPage();
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(`${page.url()}: ${message.text()}`);
    });
    return page;
  }

  /** Runs a step; on failure saves what the page looked like. */
  async function step(page: Page, name: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      await page.screenshot({ path: path.join(SHOTS, `failure-${name}.png`), fullPage: true }).catch(() => {});
      throw error;
    }
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  /** Every form control on the page has a label a keyboard or screen-reader user can find it by. */
  async function expectLabelledControls(page: Page): Promise<void> {
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => {
          const control = el as HTMLInputElement;
          const name = control.labels?.length ? control.labels[0]!.textContent : (el.getAttribute('aria-label') ?? el.textContent);
          return !name?.trim();
        })
        .map((el) => el.outerHTML.slice(0, 120)),
    );
    expect(unlabelled).toEqual([]);
  }

  let operator: Page;
  let customer: Page;

  it('an operator signs in, creates a user, tops them up, creates a key and copies it', async () => {
    operator = await newPage();
    await step(operator, 'operator', async () => {
      await operator.goto(`${origin}/console/admin`);
      await expectLabelledControls(operator);
      await shot(operator, 'operator-sign-in');
      await operator.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await operator.getByRole('button', { name: 'Sign in' }).click();
      // The dashboard is the operator's landing page.
      await operator.waitForURL('**/console/admin/dashboard');
      // The token stays in this tab's sessionStorage, never in localStorage.
      expect(await operator.evaluate(() => [sessionStorage.length, localStorage.length])).toEqual([1, 0]);
      await expect.poll(() => operator.getByTestId('operator-scope').textContent()).toContain('read and write');
      await operator.getByRole('link', { name: 'Users', exact: true }).click();

      await expectLabelledControls(operator);
      await shot(operator, 'operator-users');
      await operator.getByLabel('Name', { exact: true }).fill('Browser Customer <b>bold</b>');
      await operator.getByRole('button', { name: 'Create user' }).click();
      await operator.waitForURL(/\/console\/admin\/users\/\d+$/);
      userId = Number(operator.url().split('/').at(-1));
      // Rendered as text, not markup.
      await expect.poll(() => operator.getByTestId('user-name').textContent()).toBe('Browser Customer <b>bold</b>');

      await operator.getByLabel('Amount (quota)').fill('10000000');
      await operator.getByLabel('Note').fill('browser test');
      await operator.getByRole('button', { name: 'Top up' }).click();
      await expect.poll(() => operator.getByTestId('user-balance').textContent()).toContain('$20.00');

      await operator.getByLabel('Key name').fill('browser');
      await operator.getByRole('button', { name: 'Create key' }).click();
      const shown = (await operator.getByTestId('new-key').textContent())!.trim();
      expect(shown).toMatch(/^sk-\w{48}$/);
      await operator.getByRole('button', { name: 'Copy key' }).click();
      await expect.poll(() => operator.getByRole('button', { name: 'Copied' }).count()).toBe(1);
      customerKey = await operator.evaluate(() => navigator.clipboard.readText());
      expect(customerKey).toBe(shown);
      await expectLabelledControls(operator);
      await shot(operator, 'operator-user');

      await operator.getByRole('link', { name: 'Channels' }).click();
      await operator.getByLabel('Name', { exact: true }).fill('second simulator');
      await operator.getByLabel('Base URL').fill(ctx.simulatorUrl);
      await operator.getByLabel('DashScope API key').fill(SIM_KEY);
      await operator.getByRole('button', { name: 'Add channel' }).click();
      await expect.poll(() => operator.getByRole('region', { name: 'Channel list' }).textContent()).toContain('second simulator');
      expect(await operator.getByRole('region', { name: 'Channel list' }).textContent()).not.toContain(SIM_KEY);
      await expectLabelledControls(operator);
      await shot(operator, 'operator-channels');
    });
  }, 90_000);

  it('the customer signs in with that key, sees the balance, and makes a t2v video in the playground that plays', async () => {
    customer = await newPage();
    await step(customer, 'customer', async () => {
      await customer.goto(`${origin}/console/`);
      await shot(customer, 'home');
      await customer.getByRole('link', { name: 'Customer sign-in' }).click();
      await expectLabelledControls(customer);
      await shot(customer, 'customer-sign-in');
      await customer.getByLabel('API key').fill(customerKey);
      await customer.getByRole('button', { name: 'Sign in' }).click();
      await customer.waitForURL('**/console/overview');
      await expect.poll(() => customer.getByTestId('balance').textContent()).toBe('$20.00');
      // The key is not kept by the browser: only the HttpOnly cookie, which scripts cannot read.
      const stored = await customer.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
      expect(stored).not.toContain(customerKey);
      expect(stored).not.toContain('vgw_session');
      const cookie = (await context.cookies(origin)).find((c) => c.name === 'vgw_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

      await customer.getByRole('link', { name: 'Playground' }).click();
      await customer.getByLabel('Model').selectOption('wan2.7-t2v');
      await customer.getByLabel('Prompt', { exact: true }).fill('A small cat running under moonlight <script>alert(1)</script>');
      await customer.getByLabel('Resolution').selectOption('720P');
      await customer.getByLabel('Duration (s)').fill('5');
      await customer.getByLabel('Ratio', { exact: true }).selectOption('16:9');
      await customer.getByLabel('Seed').fill('42');
      await customer.getByLabel('Negative prompt').fill('blurry');
      // The server's quote, before anything is charged.
      await expect.poll(() => customer.getByTestId('quote').textContent(), { timeout: 10_000 }).toContain('$0.50');
      await expectLabelledControls(customer);
      await shot(customer, 'customer-playground');
      // Progress comes over the task's event stream, not by polling.
      const stream = customer.waitForResponse((res) => /\/v1\/videos\/task_\w+\/events$/.test(res.url()));
      await customer.getByRole('button', { name: 'Generate' }).click();
      const streamed = await stream;
      expect(streamed.status()).toBe(200);
      expect(streamed.headers()['content-type']).toMatch(/^text\/event-stream/);

      const video = customer.getByTestId('result-video');
      await video.waitFor({ timeout: 30_000 });
      await expect
        .poll(() => video.evaluate((v: HTMLVideoElement) => ({ ready: v.readyState >= 2, duration: v.duration > 0, error: v.error?.message ?? null })), { timeout: 20_000 })
        .toEqual({ ready: true, duration: true, error: null });
      await video.evaluate((v: HTMLVideoElement) => v.play());
      await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 10_000 }).toBeGreaterThan(0);
      taskId = (await customer.getByRole('region', { name: 'Result' }).locator('a.mono').textContent())!.trim();
      expect(taskId).toMatch(/^task_\w{32}$/);
      const download = customer.getByRole('link', { name: 'Download MP4' });
      expect(await download.getAttribute('download')).toBe(`${taskId}.mp4`);
      await shot(customer, 'customer-playground-result');
    });
  }, 90_000);

  it('makes an i2v video from a first-frame file picked in the playground, priced before the submit', async () => {
    await step(customer, 'playground-i2v', async () => {
      await customer.getByRole('link', { name: 'Playground' }).click();
      await customer.getByLabel('Model').selectOption('wan2.7-i2v');
      await customer.getByLabel('Prompt', { exact: true }).fill('The cat looks up at the sky');
      await customer.getByLabel('First frame (image file)').setInputFiles({ name: 'frame.png', mimeType: 'image/png', buffer: PNG });
      await customer.getByRole('img', { name: 'The first frame picked' }).waitFor();
      await expect.poll(() => customer.getByTestId('quote').textContent(), { timeout: 10_000 }).toContain('$0.50');
      const result = customer.getByRole('region', { name: 'Result' }).locator('a.mono');
      const previous = await result.textContent();
      await customer.getByRole('button', { name: 'Generate' }).click();
      await expect.poll(() => result.textContent(), { timeout: 10_000 }).not.toBe(previous);
      await expect.poll(() => customer.getByTestId('video-status').textContent(), { timeout: 30_000 }).toContain('completed');
      const id = (await result.textContent())!.trim();
      const task = await ctx.query('SELECT model, request FROM tasks WHERE task_id = $1', [id]);
      expect(task.rows[0].model).toBe('wan2.7-i2v');
      // The file itself went up with the create (multipart), and the gateway keeps it.
      expect(task.rows[0].request.media).toEqual([{ type: 'first_frame', url: expect.stringMatching(/^upload:\/\/uploads\/.+\.png$/) }]);
      await shot(customer, 'customer-playground-i2v');
    });
  }, 90_000);

  it('the charge shows in the customer usage, tasks and logs, and in the operator logs', async () => {
    await step(customer, 'customer-usage', async () => {
      await customer.getByRole('link', { name: 'Overview' }).click();
      await expect.poll(() => customer.getByTestId('balance').textContent()).toBe('$19.00');
      const today = new Date().toISOString().slice(0, 10);
      await expect.poll(() => customer.getByTestId(`usage-net-${today}`).textContent(), { timeout: 10_000 }).toBe('$1.00');
      await customer.getByLabel('Group by').selectOption('model');
      await expect.poll(() => customer.getByTestId('usage-net-wan2.7-t2v').textContent(), { timeout: 10_000 }).toBe('$0.50');
      await expect.poll(() => customer.getByTestId('usage-net-wan2.7-i2v').textContent(), { timeout: 10_000 }).toBe('$0.50');
      await expect.poll(() => customer.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
      await expectLabelledControls(customer);
      await shot(customer, 'customer-overview');

      await customer.getByRole('link', { name: 'Tasks' }).click();
      await expect.poll(() => customer.getByRole('region', { name: 'Videos', exact: true }).textContent()).toContain(taskId);
      await shot(customer, 'customer-tasks');
      await customer.getByRole('link', { name: taskId }).click();
      await expect.poll(() => customer.getByTestId('video-status').textContent()).toContain('completed');
      // The prompt as the customer typed it, as text.
      expect(await customer.getByText('<script>alert(1)</script>', { exact: false }).count()).toBe(1);
      await shot(customer, 'customer-task');

      await customer.getByRole('link', { name: 'Logs' }).click();
      await expect.poll(() => customer.getByRole('region', { name: 'Log entries' }).textContent()).toContain(taskId);
      expect(await customer.getByRole('region', { name: 'Log entries' }).textContent()).toContain('charge');
      await shot(customer, 'customer-logs');
    });

    await step(operator, 'operator-logs', async () => {
      await operator.getByRole('link', { name: 'Quota logs' }).click();
      await operator.getByLabel('User id').fill(String(userId));
      await operator.getByLabel('Type').selectOption({ label: 'charge' });
      await operator.getByRole('button', { name: 'Apply' }).click();
      const table = operator.getByRole('region', { name: 'Log entries' });
      await expect.poll(() => table.textContent()).toContain(taskId);
      expect(await table.textContent()).toContain('250,000 ($0.50)');
      await expectLabelledControls(operator);
      await shot(operator, 'operator-logs');
      await operator.getByRole('link', { name: 'Webhooks' }).click();
      await expect.poll(() => operator.getByRole('region', { name: 'Webhook delivery attempts' }).count()).toBe(1);
      await expectLabelledControls(operator);
      await shot(operator, 'operator-webhooks');
    });
  }, 90_000);

  it('the dashboard shows the last 30 days, the queues, channel health, open tasks and the workers alive', async () => {
    // Playwright's checks that an element is steady wait for animation frames, which a tab behind
    // another gets seldom: the operator's tab comes to the front (about 2 s an action otherwise).
    await operator.bringToFront();
    await step(operator, 'operator-dashboard', async () => {
      await operator.getByRole('link', { name: 'Dashboard' }).click();
      // The two videos of the steps above: $1.00 charged today.
      await expect.poll(() => operator.getByTestId('today-tasks').textContent(), { timeout: 10_000 }).toBe('2');
      expect(await operator.getByTestId('today-charged').textContent()).toBe('$1.00');
      expect(await operator.getByTestId('month-charged').textContent()).toBe('$1.00');
      await expect.poll(() => operator.locator('.recharts-bar-rectangle').count(), { timeout: 10_000 }).toBeGreaterThan(0);
      const queues = operator.getByRole('region', { name: 'Queue depths' });
      await expect.poll(() => queues.textContent()).toContain('tasks');
      const health = operator.getByRole('region', { name: 'Channels and their last errors' });
      expect(await health.textContent()).toContain('second simulator');
      expect(await operator.getByTestId('open-IN_PROGRESS').textContent()).toMatch(/^\d+$/);
      await expect.poll(() => operator.getByRole('region', { name: 'Workers alive', exact: true }).locator('tbody tr td.mono').count()).toBeGreaterThan(0);
      await expectLabelledControls(operator);
      await shot(operator, 'operator-dashboard');
    });
  }, 60_000);

  it('an operator finds the video among the tasks and plays it in the task detail', async () => {
    await step(operator, 'operator-task', async () => {
      await operator.goto(`${origin}/console/admin/tasks`);
      await operator.getByLabel('User id').fill(String(userId));
      await operator.getByLabel('Status').selectOption('SUCCESS');
      await operator.getByLabel('Model').fill('wan2.7-t2v');
      await operator.getByRole('button', { name: 'Apply' }).click();
      const list = operator.getByRole('region', { name: 'Task list' });
      await expect.poll(() => list.locator('tbody tr').count()).toBe(1);
      expect(await list.textContent()).toContain(taskId);
      await expectLabelledControls(operator);
      await shot(operator, 'operator-tasks');
      await operator.getByRole('link', { name: taskId }).click();
      await expect.poll(() => operator.getByTestId('task-status').textContent()).toContain('SUCCESS');
      const video = operator.getByTestId('admin-result-video');
      await expect
        .poll(() => video.evaluate((v: HTMLVideoElement) => ({ ready: v.readyState >= 2, duration: v.duration > 0, error: v.error?.message ?? null })), { timeout: 20_000 })
        .toEqual({ ready: true, duration: true, error: null });
      // The raw upstream answer and the normalized request, as the gateway keeps them.
      expect(await operator.getByRole('region', { name: 'Upstream answer', exact: true }).textContent()).toContain('SUCCEEDED');
      expect(await operator.getByRole('region', { name: 'Request', exact: true }).textContent()).toContain('moonlight');
      expect(await operator.getByRole('region', { name: 'Log entries' }).textContent()).toContain('250,000 ($0.50)');
      // Finished: nothing to force-fail.
      expect(await operator.getByRole('button', { name: 'Force-fail task' }).count()).toBe(0);
      await expectLabelledControls(operator);
      await shot(operator, 'operator-task');
    });
  }, 60_000);

  it('an operator force-fails a stuck task: it ends FAILURE and the refund shows in its logs', async () => {
    const stuck = await submit(ctx, customerKey, { ...specExamples.t2v, prompt: '[sim:ms=60000] a very long take of the sea' });
    await step(operator, 'operator-force-fail', async () => {
      await operator.goto(`${origin}/console/admin/tasks/${stuck}`);
      await expect.poll(() => operator.getByTestId('task-status').textContent(), { timeout: 10_000 }).toMatch(/QUEUED|IN PROGRESS|NOT START/);
      expect(await operator.getByTestId('task-quota').textContent()).toContain('250,000');
      await operator.getByLabel('Reason').fill('stuck upstream in the browser test');
      await shot(operator, 'operator-task-force-fail');
      await operator.getByRole('button', { name: 'Force-fail task' }).click();
      await expect.poll(() => operator.getByTestId('task-status').textContent(), { timeout: 10_000 }).toContain('FAILURE');
      expect(await operator.getByTestId('task-fail-reason').textContent()).toBe('Operator: stuck upstream in the browser test');
      expect(await operator.getByTestId('task-quota').textContent()).toContain('0 quota ($0.00)');
      const logs = operator.getByRole('region', { name: 'Log entries' });
      await expect.poll(() => logs.textContent()).toContain('refund');
      expect(await logs.textContent()).toContain('250,000 ($0.50)');
      await shot(operator, 'operator-task-failed');
    });
    const row = await ctx.query('SELECT status, quota FROM tasks WHERE task_id = $1', [stuck]);
    expect(row.rows[0]).toMatchObject({ status: 'FAILURE' });
    expect(Number(row.rows[0].quota)).toBe(0);
  }, 60_000);

  it('an operator tests, tunes, disables and enables a channel; edits prices and groups; reads usage, audit and the CSV; finds a user and their keys', async () => {
    await step(operator, 'operator-manage', async () => {
      await operator.goto(`${origin}/console/admin/channels`);
      const list = operator.getByRole('region', { name: 'Channel list' });
      await expect.poll(() => list.textContent()).toContain('second simulator');
      const id = Number(await list.locator('tbody tr', { hasText: 'second simulator' }).locator('td').first().textContent());
      await operator.getByRole('button', { name: `Test channel ${id}` }).click();
      await expect.poll(() => operator.getByTestId(`channel-test-${id}`).textContent(), { timeout: 15_000 }).toContain('works');
      await operator.getByRole('button', { name: `Edit channel ${id}` }).click();
      const settings = operator.getByRole('form', { name: `Settings of channel ${id}` });
      await settings.getByLabel('Weight').fill('7');
      await settings.getByLabel('Submit QPS').fill('3');
      await operator.getByRole('button', { name: `Save channel ${id}` }).click();
      await expect.poll(() => list.locator('tbody tr', { hasText: 'second simulator' }).textContent()).toContain('submit 3/s');
      await operator.getByRole('button', { name: `Disable channel ${id}` }).click();
      await operator.getByRole('button', { name: `Enable channel ${id}` }).waitFor();
      const channel = await ctx.query('SELECT weight, submit_qps, status FROM channels WHERE id = $1', [id]);
      expect(channel.rows[0]).toEqual({ weight: 7, submit_qps: 3, status: 'disabled' });
      await operator.getByRole('button', { name: `Enable channel ${id}` }).click();
      await operator.getByRole('button', { name: `Disable channel ${id}` }).waitFor();
      // The reason the worker gave for taking a channel out of rotation.
      await ctx.query("UPDATE channels SET status = 'auto_disabled', status_reason = 'Arrearage: the account is in arrears' WHERE id = $1", [id]);
      await operator.reload();
      await expect.poll(() => operator.getByTestId(`channel-reason-${id}`).textContent()).toContain('Arrearage: the account is in arrears');
      await expectLabelledControls(operator);
      await shot(operator, 'operator-channels-list');
      await operator.getByRole('button', { name: `Enable channel ${id}` }).click();
      await operator.getByRole('button', { name: `Disable channel ${id}` }).waitFor();

      await operator.goto(`${origin}/console/admin/pricing`);
      await operator.getByRole('button', { name: 'Edit wan2.7-videoedit' }).click();
      await operator.getByLabel('Price of wan2.7-videoedit (USD per second)').fill('0.2');
      await operator.getByRole('button', { name: 'Save wan2.7-videoedit' }).click();
      await expect.poll(() => operator.getByTestId('price-wan2.7-videoedit').textContent()).toBe('$0.2');
      await operator.getByLabel('Group name').fill('vip');
      await operator.getByLabel('Ratio', { exact: true }).fill('0.8');
      await operator.getByRole('button', { name: 'Create group' }).click();
      await expect.poll(() => operator.getByTestId('group-ratio-vip').textContent()).toBe('0.8');
      await operator.getByLabel('New ratio of vip').fill('0.75');
      await operator.getByRole('button', { name: 'Save vip' }).click();
      await expect.poll(() => operator.getByTestId('group-ratio-vip').textContent()).toBe('0.75');
      await expectLabelledControls(operator);
      await shot(operator, 'operator-pricing');

      await operator.goto(`${origin}/console/admin/usage`);
      await operator.getByLabel('Group by').selectOption('model');
      await operator.getByRole('button', { name: 'Show' }).click();
      // Two t2v tasks charged, one refunded by the force-fail.
      await expect.poll(() => operator.getByTestId('admin-usage-net-wan2.7-t2v').textContent(), { timeout: 10_000 }).toBe('$0.50');
      expect(await operator.getByTestId('admin-usage-net-wan2.7-i2v').textContent()).toBe('$0.50');
      await operator.getByLabel('Group by').selectOption('user');
      await operator.getByRole('button', { name: 'Show' }).click();
      await expect.poll(() => operator.getByTestId(`admin-usage-net-${userId}`).textContent(), { timeout: 10_000 }).toBe('$1.00');
      await expectLabelledControls(operator);
      await shot(operator, 'operator-usage');

      await operator.goto(`${origin}/console/admin/audit`);
      await operator.getByLabel('Action').fill('task.fail');
      await operator.getByRole('button', { name: 'Apply' }).click();
      const audit = operator.getByRole('region', { name: 'Audit entries' });
      await expect.poll(() => audit.locator('tbody tr').count()).toBe(1);
      expect(await audit.textContent()).toContain('"FAILURE"');
      await expectLabelledControls(operator);
      await shot(operator, 'operator-audit');

      await operator.goto(`${origin}/console/admin/logs?user_id=${userId}`);
      await operator.getByRole('region', { name: 'Log entries' }).waitFor();
      const [download] = await Promise.all([operator.waitForEvent('download'), operator.getByRole('button', { name: /Download CSV/ }).click()]);
      const file = await download.path();
      const csv = readFileSync(file, 'utf8');
      expect(csv.split('\n')[0]!.replace(/\s/g, '')).toBe('id,created_at,type,user_id,key_id,task_id,model,quota,content');
      expect(csv).toContain(taskId);
      expect(csv).toContain('Operator: stuck upstream in the browser test');

      await operator.goto(`${origin}/console/admin/users`);
      await operator.getByLabel('Search').fill('browser customer');
      await operator.getByRole('button', { name: 'Search' }).click();
      const users = operator.getByRole('region', { name: 'Users found' });
      await expect.poll(() => users.locator('tbody tr').count()).toBe(1);
      await users.getByRole('link', { name: 'Browser Customer <b>bold</b>' }).click();
      await operator.waitForURL(`**/console/admin/users/${userId}`);
      const keys = operator.getByRole('region', { name: 'Keys of this user' });
      await expect.poll(() => keys.textContent()).toContain('browser');
      expect(await keys.textContent()).toContain(customerKey.slice(0, 10));
      expect(await keys.textContent()).not.toContain(customerKey);
      await shot(operator, 'operator-user-keys');
      await operator.goto(`${origin}/console/admin/keys`);
      await expect.poll(() => operator.getByRole('region', { name: 'Keys', exact: true }).textContent()).toContain('browser');
      await expectLabelledControls(operator);
      await shot(operator, 'operator-keys');
    });
  }, 120_000);

  let revokedKeyId = 0;
  it("an operator creates a key with limits, edits one and clears another, and revokes it for good: the key then gets 401", async () => {
    await step(operator, 'key-limits', async () => {
      await operator.goto(`${origin}/console/admin/users/${userId}`);
      const create = operator.getByRole('form', { name: 'Create a key' });
      await create.getByLabel('Key name').fill('limited');
      await create.getByLabel('Tasks at once (max_inflight)').fill('2');
      await create.getByLabel('Requests per minute (rpm_limit)').fill('60');
      await create.getByLabel('Own spending limit (quota)').fill('5000000');
      await create.getByLabel('Expires').fill('2030-01-02T03:04');
      await create.getByLabel('wan2.7-t2v').check();
      // The API judges the addresses, and its message is what the operator reads.
      await create.getByLabel('Allowed addresses (allowed_ips)').fill('10.0.0.0/8, not-an-address');
      await create.getByRole('button', { name: 'Create key' }).click();
      await expect.poll(() => create.getByRole('alert').textContent()).toBe('allowed_ips.1: allowed_ips holds IP addresses or CIDR ranges such as 10.0.0.0/8 (invalid_request)');
      expect(await operator.getByTestId('new-key').count()).toBe(0);
      await shot(operator, 'operator-key-create-refused');
      // This test reaches the gateway from the loopback address, over IPv4 or IPv6.
      await create.getByLabel('Allowed addresses (allowed_ips)').fill('127.0.0.0/8,\n::1/128');
      await create.getByRole('button', { name: 'Create key' }).click();
      const key = (await operator.getByTestId('new-key').textContent())!.trim();
      expect(key).toMatch(/^sk-\w{48}$/);
      // The form is emptied for the next key.
      expect(await create.getByLabel('Tasks at once (max_inflight)').inputValue()).toBe('');
      const listed = await ctx.http('GET', `/admin/keys?user_id=${userId}`, { token: ADMIN_TOKEN });
      const id: number = listed.body.data.find((k: { name: string }) => k.name === 'limited').id;
      revokedKeyId = id;
      const expires = await operator.evaluate(() => new Date('2030-01-02T03:04').getTime() / 1000);
      expect((await ctx.http('GET', `/admin/keys/${id}`, { token: ADMIN_TOKEN })).body).toMatchObject({
        name: 'limited',
        status: 'enabled',
        max_inflight: 2,
        rpm_limit: 60,
        allowed_ips: ['127.0.0.0/8', '::1/128'],
        quota: 5_000_000,
        expires_at: expires,
        models: ['wan2.7-t2v'],
      });
      await expect.poll(() => operator.getByTestId(`key-limits-${id}`).textContent()).toBe('at once: 2; per minute: 60; from: 127.0.0.0/8, ::1/128');
      expect((await ctx.http('GET', '/v1/me', { token: key })).status).toBe(200);
      await expectLabelledControls(operator);
      await shot(operator, 'operator-key-created');

      // The edit form starts from the key as it is, and sends only what changed: null clears a limit.
      await operator.getByRole('button', { name: `Edit key ${id}`, exact: true }).click();
      const edit = operator.getByRole('form', { name: `Limits of key ${id}` });
      expect(await edit.getByLabel('Tasks at once (max_inflight)').inputValue()).toBe('2');
      expect(await edit.getByLabel('Requests per minute (rpm_limit)').inputValue()).toBe('60');
      expect(await edit.getByLabel('Expires').inputValue()).toBe('2030-01-02T03:04');
      expect(await edit.getByLabel('wan2.7-t2v').isChecked()).toBe(true);
      await edit.getByLabel('Tasks at once (max_inflight)').fill('5');
      await edit.getByLabel('Requests per minute (rpm_limit)').fill('');
      await expectLabelledControls(operator);
      await shot(operator, 'operator-key-edit');
      // Usable on a phone: the form wraps, nothing is wider than the screen.
      await operator.setViewportSize({ width: 375, height: 812 });
      expect(await operator.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      await shot(operator, 'phone-operator-key-edit');
      await operator.setViewportSize({ width: 1280, height: 900 });
      const patch = operator.waitForRequest((req) => req.method() === 'PATCH' && req.url().endsWith(`/admin/keys/${id}`));
      await edit.getByRole('button', { name: `Save key ${id}`, exact: true }).click();
      expect((await patch).postDataJSON()).toEqual({ max_inflight: 5, rpm_limit: null });
      await expect.poll(() => edit.count()).toBe(0);
      await expect.poll(() => operator.getByTestId(`key-limits-${id}`).textContent()).toBe('at once: 5; per minute: default; from: 127.0.0.0/8, ::1/128');
      expect((await ctx.http('GET', `/admin/keys/${id}`, { token: ADMIN_TOKEN })).body).toMatchObject({
        max_inflight: 5,
        rpm_limit: null,
        allowed_ips: ['127.0.0.0/8', '::1/128'],
        quota: 5_000_000,
        expires_at: expires,
        models: ['wan2.7-t2v'],
      });

      // Revoking asks first; by keyboard: Enter asks, Cancel has the focus, Escape takes it back.
      const revoke = operator.getByRole('button', { name: `Revoke key ${id}`, exact: true });
      await revoke.focus();
      await operator.keyboard.press('Enter');
      await expect.poll(() => operator.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
      await shot(operator, 'operator-key-revoke-confirm');
      await operator.keyboard.press('Escape');
      await expect.poll(() => operator.evaluate(() => document.activeElement?.textContent)).toBe(`Revoke key ${id}`);
      expect((await ctx.http('GET', `/admin/keys/${id}`, { token: ADMIN_TOKEN })).body.status).toBe('enabled');
      await operator.keyboard.press('Enter');
      await operator.keyboard.press('Shift+Tab');
      await expect.poll(() => operator.evaluate(() => document.activeElement?.textContent)).toBe(`Yes, revoke key ${id}`);
      await operator.keyboard.press('Enter');
      await expect.poll(() => operator.getByTestId(`key-status-${id}`).textContent()).toBe('revoked');
      for (const name of [`Edit key ${id}`, `Revoke key ${id}`, `Disable key ${id}`, `Open playground as key ${id}`]) {
        expect(await operator.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      }
      expect((await ctx.http('GET', `/admin/keys/${id}`, { token: ADMIN_TOKEN })).body.status).toBe('revoked');
      expect((await ctx.http('GET', '/v1/me', { token: key })).status).toBe(401);
      await shot(operator, 'operator-key-revoked');
    });
  }, 90_000);

  it('a read-only token sees no button that changes anything', async () => {
    const created = await fetch(`${ctx.baseUrl}/admin/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'viewer', scope: 'read' }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const viewer = await newPage(viewerContext);
    const MUTATIONS = /create|top up|deduct|disable|enable|revoke|add |save|edit|test channel|force|delete|remove|playground/i;
    await step(viewer, 'read-only', async () => {
      await viewer.goto(`${origin}/console/admin`);
      await viewer.getByLabel('Admin token').fill(token);
      await viewer.getByRole('button', { name: 'Sign in' }).click();
      await viewer.waitForURL('**/console/admin/dashboard');
      await expect.poll(() => viewer.getByTestId('operator-scope').textContent()).toBe('viewer (read-only)');
      await expect.poll(() => viewer.getByTestId('today-tasks').textContent()).toMatch(/^\d+$/);
      await shot(viewer, 'read-only-dashboard');
      // Each page has loaded what it shows (so a missing button is not a page still loading).
      const pages: [string, string, string][] = [
        ['/console/admin/users', 'Users found', 'Browser Customer'],
        [`/console/admin/users/${userId}`, 'Keys of this user', 'browser'],
        ['/console/admin/keys', 'Keys', 'browser'],
        ['/console/admin/channels', 'Channel list', 'second simulator'],
        ['/console/admin/pricing', 'Prices per model', 'wan2.7-t2v'],
        ['/console/admin/tasks', 'Task list', taskId],
        [`/console/admin/tasks/${taskId}`, 'Log entries', taskId],
      ];
      for (const [pathname, region, text] of pages) {
        await viewer.goto(`${origin}${pathname}`);
        await expect.poll(() => viewer.getByRole('region', { name: region, exact: true }).textContent(), { message: pathname }).toContain(text);
        const buttons = await viewer.getByRole('button').allTextContents();
        expect(buttons.filter((name) => MUTATIONS.test(name)), pathname).toEqual([]);
        await shot(viewer, `read-only-${pathname.split('/').slice(3).join('-') || 'admin'}`);
      }
      // No key form either, on the user's page, where keys are made (a revoked key among them).
      await viewer.goto(`${origin}/console/admin/users/${userId}`);
      await expect.poll(() => viewer.getByTestId(`key-status-${revokedKeyId}`).textContent()).toBe('revoked');
      expect(await viewer.getByTestId(`key-limits-${revokedKeyId}`).textContent()).toContain('at once: 5');
      expect(await viewer.getByRole('form', { name: 'Create a key' }).count()).toBe(0);
      expect(await viewer.getByLabel('Tasks at once (max_inflight)').count()).toBe(0);
      for (const name of [/^Edit key/, /^Revoke key/, /^Yes, revoke/, /^Create key/]) expect(await viewer.getByRole('button', { name }).count(), String(name)).toBe(0);
      // An unfinished task offers no force-fail either (another customer's: this one's balance is checked later).
      const someone = await createCustomer(ctx.http, 1_000_000);
      const open = await submit(ctx, someone.key, { ...specExamples.t2v, prompt: '[sim:ms=60000] seen by a viewer' });
      await viewer.goto(`${origin}/console/admin/tasks/${open}`);
      await expect.poll(() => viewer.getByTestId('task-status').textContent()).toMatch(/QUEUED|IN PROGRESS|NOT START/);
      expect(await viewer.getByRole('button', { name: 'Force-fail task' }).count()).toBe(0);
      expect(await viewer.getByLabel('Reason').count()).toBe(0);
    });
    await viewerContext.close();
  }, 120_000);

  it("a customer cannot open another customer's task", async () => {
    const other = await createCustomer(ctx.http, 1_000_000);
    const otherContext = await browser.newContext();
    const page = await newPage(otherContext);
    await step(page, 'other-customer', async () => {
      await page.goto(`${origin}/console/sign-in`);
      await page.getByLabel('API key').fill(other.key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL('**/console/overview');
      await page.goto(`${origin}/console/tasks/${taskId}`);
      await expect.poll(() => page.getByRole('alert').textContent()).toContain(`task ${taskId} not found`);
      expect(await page.getByTestId('result-video').count()).toBe(0);
      const content = await page.evaluate(async (id) => (await fetch(`/v1/videos/${id}/content`)).status, taskId);
      expect(content).toBe(404);
      await shot(page, 'other-customer-task-refused');
    });
    await otherContext.close();
  }, 90_000);

  it('refuses a change posted with the customer cookie by a page of another origin on the same host', async () => {
    const before = await ctx.query('SELECT count(*)::int AS n FROM tasks WHERE user_id = $1', [userId]);
    const page = await newPage();
    await step(page, 'csrf', async () => {
      // The attacker's page submits a form to the gateway at once; the browser sends the cookie.
      const answer = page.waitForResponse((res) => res.url() === `${origin}/v1/videos`);
      await page.goto(attackerUrl);
      const response = await answer;
      expect((await response.request().allHeaders()).cookie).toContain('vgw_session=');
      expect(response.status()).toBe(403);
      expect((await response.json()).error.code).toBe('csrf_failed');
      await shot(page, 'csrf-refused');
    });
    const after = await ctx.query('SELECT count(*)::int AS n FROM tasks WHERE user_id = $1', [userId]);
    expect(after.rows[0].n).toBe(before.rows[0].n);
  }, 90_000);

  it('is usable at 375 px wide', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await newPage(phone);
    await step(page, 'phone', async () => {
      await page.goto(`${origin}/console/sign-in`);
      await page.getByLabel('API key').fill(customerKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL('**/console/overview');
      await expect.poll(() => page.getByTestId('balance').textContent()).toBe('$19.00');
      for (const [pathname, name] of [
        ['/console/overview', 'phone-overview'],
        ['/console/playground', 'phone-playground'],
        ['/console/tasks', 'phone-tasks'],
      ] as const) {
        await page.goto(`${origin}${pathname}`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        await page.waitForLoadState('networkidle');
        // Nothing wider than the screen: tables scroll inside their own box.
        expect(await page.evaluate(() => document.documentElement.scrollWidth), pathname).toBeLessThanOrEqual(375);
        await shot(page, name);
      }
    });
    await phone.close();
  }, 90_000);

  it("an operator opens the playground as a customer's key in a new tab, without the key, and makes a video charged to it; a failing event stream falls back to polling", async () => {
    const made = await fetch(`${ctx.baseUrl}/admin/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'support-browser', scope: 'write' }),
    });
    const support = (await made.json()) as { id: number; token: string };
    const someone = await createCustomer(ctx.http, 5_000_000);
    const operatorContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const desk = await newPage(operatorContext);
    let tab: Page = desk;
    await step(desk, 'act-as-key', async () => {
      await desk.goto(`${origin}/console/admin`);
      await desk.getByLabel('Admin token').fill(support.token);
      await desk.getByRole('button', { name: 'Sign in' }).click();
      await desk.waitForURL('**/console/admin/dashboard');
      await desk.goto(`${origin}/console/admin/users/${someone.userId}`);
      const button = desk.getByRole('button', { name: `Open playground as key ${someone.keyId}` });
      await button.waitFor();
      await expectLabelledControls(desk);
      await shot(desk, 'operator-act-as-key');
      [tab] = await Promise.all([operatorContext.waitForEvent('page'), button.click()]);
    });
    await step(tab, 'act-as-key-playground', async () => {
      await tab.waitForURL('**/console/playground');
      // The code is gone from the address bar; the operator's token stayed in its own tab.
      expect(tab.url()).not.toContain('code=');
      expect(await tab.evaluate(() => sessionStorage.length)).toBe(0);
      expect(await desk.evaluate(() => sessionStorage.length)).toBe(1);
      await expect
        .poll(() => tab.getByTestId('acting-for').textContent())
        .toBe(`Acting for API key ${someone.keyId} (user ${someone.userId}), opened by operator support-browser: tasks made here are charged to this key.`);
      await tab.getByLabel('Model').selectOption('wan2.7-t2v');
      await tab.getByLabel('Prompt', { exact: true }).fill('A lighthouse at dawn, made by support');
      await expect.poll(() => tab.getByTestId('quote').textContent(), { timeout: 10_000 }).toContain('$0.50');
      await tab.getByRole('button', { name: 'Generate' }).click();
      const video = tab.getByTestId('result-video');
      await video.waitFor({ timeout: 30_000 });
      await expect
        .poll(() => video.evaluate((v: HTMLVideoElement) => ({ ready: v.readyState >= 2, duration: v.duration > 0, error: v.error?.message ?? null })), { timeout: 20_000 })
        .toEqual({ ready: true, duration: true, error: null });
      const id = (await tab.getByRole('region', { name: 'Result' }).locator('a.mono').textContent())!.trim();
      const task = await ctx.query('SELECT user_id, key_id FROM tasks WHERE task_id = $1', [id]);
      expect(task.rows[0]).toEqual({ user_id: someone.userId, key_id: someone.keyId });
      const session = await ctx.query('SELECT opened_by, admin_token_id FROM console_sessions WHERE key_id = $1', [someone.keyId]);
      expect(session.rows).toEqual([{ opened_by: 'support-browser', admin_token_id: support.id }]);
      const audit = await ctx.query("SELECT actor_token_id FROM audit_logs WHERE action = 'key.console_session' AND target_id = $1", [String(someone.keyId)]);
      expect(audit.rows).toEqual([{ actor_token_id: support.id }]);
      await shot(tab, 'operator-act-as-key-playground');

      // The event stream fails (a proxy that does not pass it): the page polls and still sees the end.
      await tab.route('**/v1/videos/*/events', (route) => route.fulfill({ status: 502, contentType: 'text/plain', body: 'bad gateway' }));
      await tab.getByLabel('Prompt', { exact: true }).fill('[sim:ms=5000] A slower lighthouse, followed by polling');
      const result = tab.getByRole('region', { name: 'Result' }).locator('a.mono');
      await tab.getByRole('button', { name: 'Generate' }).click();
      await expect.poll(() => result.textContent(), { timeout: 10_000 }).not.toBe(id);
      await expect.poll(() => tab.getByTestId('live-via').textContent(), { timeout: 10_000 }).toBe('refreshed every 3 s');
      await shot(tab, 'playground-polling');
      await expect.poll(() => tab.getByTestId('video-status').textContent(), { timeout: 30_000 }).toContain('completed');
      await expect
        .poll(() => tab.getByTestId('result-video').evaluate((v: HTMLVideoElement) => v.readyState >= 2 && v.duration > 0), { timeout: 20_000 })
        .toBe(true);
      await tab.unroute('**/v1/videos/*/events');
    });
    await operatorContext.close();
  }, 120_000);

  it('an operator watches a task run to SUCCESS over its event stream, the token in a header only; a failing stream falls back to polling', async () => {
    const watched = await createCustomer(ctx.http, 10_000_000);
    const running = await submit(ctx, watched.key, { ...specExamples.t2v, prompt: '[sim:ms=3500] a lighthouse followed live' });
    await step(operator, 'operator-task-live', async () => {
      // Reads of the task's detail, the stream aside.
      const reads: string[] = [];
      const countReads = (request: { url(): string }) => {
        if (new URL(request.url()).pathname === `/admin/tasks/${running}`) reads.push(request.url());
      };
      operator.on('request', countReads);
      const stream = operator.waitForResponse((res) => new URL(res.url()).pathname === `/admin/tasks/${running}/events`);
      await operator.goto(`${origin}/console/admin/tasks/${running}`);
      const streamed = await stream;
      expect(streamed.status()).toBe(200);
      expect(streamed.headers()['content-type']).toMatch(/^text\/event-stream/);
      // The admin token goes in the Authorization header, never in the URL (nor a cookie).
      const headers = await streamed.request().allHeaders();
      expect(headers.authorization).toBe(`Bearer ${ADMIN_TOKEN}`);
      expect(streamed.url()).not.toContain(ADMIN_TOKEN);
      expect(headers.cookie ?? '').not.toContain(ADMIN_TOKEN);
      await expect.poll(() => operator.getByTestId('live-via').textContent()).toBe('live');
      await shot(operator, 'operator-task-live');
      await expect.poll(() => operator.getByTestId('task-status').textContent(), { timeout: 20_000 }).toContain('SUCCESS');
      // Its progress came over the stream: the detail was read once, when the page opened (polling
      // would have read it again every 3 s while the task ran).
      expect(reads).toHaveLength(1);
      expect(await operator.getByTestId('task-status').textContent()).toContain('100%');
      expect(await operator.getByTestId('live-via').count()).toBe(0);
      // The gateway's copy is made after the stream's end: the page reads on until it can play it.
      const video = operator.getByTestId('admin-result-video');
      await video.waitFor({ timeout: 20_000 });
      await expect
        .poll(() => video.evaluate((v: HTMLVideoElement) => ({ ready: v.readyState >= 2, error: v.error?.message ?? null })), { timeout: 20_000 })
        .toEqual({ ready: true, error: null });
      operator.off('request', countReads);
    });

    // The stream fails (a proxy that does not pass it): the page says it polls, and still sees the end.
    const polled = await submit(ctx, watched.key, { ...specExamples.t2v, prompt: '[sim:ms=5000] a lighthouse followed by polling' });
    await step(operator, 'operator-task-polling', async () => {
      await operator.route('**/admin/tasks/*/events', (route) => route.fulfill({ status: 502, contentType: 'text/plain', body: 'bad gateway' }));
      await operator.goto(`${origin}/console/admin/tasks/${polled}`);
      await expect.poll(() => operator.getByTestId('live-via').textContent(), { timeout: 10_000 }).toBe('refreshed every 3 s');
      await shot(operator, 'operator-task-polling');
      await expect.poll(() => operator.getByTestId('task-status').textContent(), { timeout: 30_000 }).toContain('SUCCESS');
      await operator.unroute('**/admin/tasks/*/events');
    });
  }, 90_000);

  it('serves Swagger UI at /docs under the same Content-Security-Policy, and no page broke it', async () => {
    const page = await newPage();
    await step(page, 'docs', async () => {
      await page.goto(`${origin}/docs`);
      await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
      expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
      await shot(page, 'docs');
    });
    expect(cspViolations).toEqual([]);
  }, 90_000);
});
