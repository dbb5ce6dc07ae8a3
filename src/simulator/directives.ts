// Fault directives: `[sim:...]` tokens a test writes into a prompt to make the simulator misbehave
// the way DashScope sometimes does. They are removed before anything else reads the prompt, so
// validation and the prompt length limit see the prompt a real caller meant; `orig_prompt` echoes
// the prompt as sent, as DashScope does.
//
//   [sim:fail]              the task ends FAILED with no code or message (seen upstream)
//   [sim:fail=CODE]         the task ends FAILED with output.code CODE
//   [sim:reject=HTTP:CODE]  the submit answers HTTP with CODE; no task is created
//   [sim:unknown]           queries of the task always answer UNKNOWN
//   [sim:ms=N]              the task stays RUNNING for N ms
//   [sim:flaky=N]           the first N submits of this prompt answer 500 InternalError, then
//                           the first N queries of the task it creates
//   [sim:lost=N]            the first N submits of this prompt create their task, but the answer
//                           never arrives: the connection is cut (the outcome is unknown to the client)
//   [sim:slow=N]            the submit creates its task at once but answers only after N ms
import { invalidParameter } from './upstream-errors.ts';

export interface Directives {
  /** Present: the task ends FAILED; `code` absent means no code and no message at all. */
  fail?: { code?: string };
  reject?: { status: number; code: string };
  unknown: boolean;
  runningMs?: number;
  flaky?: number;
  lost?: number;
  slowMs?: number;
}

export interface DirectedPrompt {
  prompt: string;
  directives: Directives;
}

// A run of directives with the whitespace around it is replaced as one, so that removing
// "a [sim:x] [sim:y] b" leaves "a b" rather than "a  b". The lookbehind starts the leading
// whitespace only where a whitespace run starts, which keeps long runs of spaces linear.
const RUN = /(?<!\s)(\s*)((?:\[sim:[^\]]*\]\s*)+)/g;
const TOKEN = /\[sim:([^\]=]*)(?:=([^\]]*))?\]/g;
const CODE = /^[A-Za-z][\w.]*$/;
const REJECT = /^([45]\d\d):([A-Za-z][\w.]*)$/;
const COUNT = /^\d+$/;

/** Removes every directive from `prompt`, tidying the whitespace it stood in, and reads them. */
export function extractDirectives(prompt: string): DirectedPrompt {
  const directives: Directives = { unknown: false };
  let found = false;
  const stripped = prompt.replace(RUN, (_run, before: string, tokens: string) => {
    found = true;
    for (const [, name, value] of tokens.matchAll(TOKEN)) apply(directives, name as string, value);
    // Directives between two words must not glue them together.
    return before || /\s$/.test(tokens) ? ' ' : '';
  });
  // A prompt without directives is left exactly as sent.
  return { prompt: found ? stripped.trim() : prompt, directives };
}

function apply(directives: Directives, name: string, value: string | undefined): void {
  const written = `[sim:${name}${value === undefined ? '' : `=${value}`}]`;
  const malformed = (expected: string) => invalidParameter(`Malformed simulator directive ${written}; expected ${expected}.`);
  switch (name) {
    case 'fail':
      if (value === undefined) directives.fail = {};
      else if (CODE.test(value)) directives.fail = { code: value };
      else throw malformed('[sim:fail] or [sim:fail=CODE]');
      return;
    case 'reject': {
      const match = REJECT.exec(value ?? '');
      if (!match) throw malformed('[sim:reject=HTTP:CODE], e.g. [sim:reject=429:Throttling.RateQuota]');
      directives.reject = { status: Number(match[1]), code: match[2] as string };
      return;
    }
    case 'unknown':
      if (value !== undefined) throw malformed('[sim:unknown]');
      directives.unknown = true;
      return;
    case 'ms':
      if (!COUNT.test(value ?? '')) throw malformed('[sim:ms=N] with N a whole number of milliseconds');
      directives.runningMs = Number(value);
      return;
    case 'flaky':
      if (!COUNT.test(value ?? '')) throw malformed('[sim:flaky=N] with N a whole number of requests');
      directives.flaky = Number(value);
      return;
    case 'lost':
      if (!COUNT.test(value ?? '')) throw malformed('[sim:lost=N] with N a whole number of submits');
      directives.lost = Number(value);
      return;
    case 'slow':
      if (!COUNT.test(value ?? '')) throw malformed('[sim:slow=N] with N a whole number of milliseconds');
      directives.slowMs = Number(value);
      return;
    default:
      // A misspelt directive would otherwise reach the model as prompt text and the test would
      // silently check nothing.
      throw invalidParameter(`Unknown simulator directive ${written}; known: fail, reject, unknown, ms, flaky, lost, slow.`);
  }
}
