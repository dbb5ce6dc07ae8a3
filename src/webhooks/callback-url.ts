// Where the gateway may send webhooks. A callback URL is chosen by a customer, and the gateway
// POSTs to it from inside the operator's network: without this guard a customer could make it
// call the cloud metadata service, a database's HTTP port or any other internal service. The check
// runs when the URL is given and again before every attempt, because what a name resolves to can
// change in between; the delivery then connects to exactly the addresses checked here.
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { badRequest } from '../lib/errors.ts';

export type HostLookup = (hostname: string) => Promise<LookupAddress[]>;

export interface CallbackUrlOptions {
  /** Let callback URLs reach loopback and private networks (development, tests, on-premises receivers). */
  allowPrivateHosts: boolean;
  /** Resolves a host name to every address it has; default: the system resolver (node:dns lookup). */
  lookup?: HostLookup;
}

export type CallbackUrlCheck =
  | { ok: true; url: URL; addresses: LookupAddress[] }
  /** `permanent`: the URL itself is unusable, whatever DNS answers later. */
  | { ok: false; message: string; permanent: boolean };

const DNS_TIMEOUT_MS = 5_000;

/** The longest a check can take (its DNS lookup), which bounds a delivery attempt's length. */
export const CALLBACK_CHECK_TIMEOUT_MS = DNS_TIMEOUT_MS;

// Every range a webhook must not reach, with the words its refusal uses.
const RANGES: { kind: string; family: 'ipv4' | 'ipv6'; network: string; prefix: number }[] = [
  { kind: 'an unspecified', family: 'ipv4', network: '0.0.0.0', prefix: 8 },
  { kind: 'a loopback', family: 'ipv4', network: '127.0.0.0', prefix: 8 },
  { kind: 'a private', family: 'ipv4', network: '10.0.0.0', prefix: 8 },
  { kind: 'a private', family: 'ipv4', network: '172.16.0.0', prefix: 12 },
  { kind: 'a private', family: 'ipv4', network: '192.168.0.0', prefix: 16 },
  { kind: 'a private', family: 'ipv4', network: '100.64.0.0', prefix: 10 },
  { kind: 'a link-local', family: 'ipv4', network: '169.254.0.0', prefix: 16 },
  { kind: 'a multicast', family: 'ipv4', network: '224.0.0.0', prefix: 4 },
  { kind: 'a reserved', family: 'ipv4', network: '240.0.0.0', prefix: 4 },
  { kind: 'a reserved', family: 'ipv4', network: '192.0.0.0', prefix: 24 },
  { kind: 'a reserved', family: 'ipv4', network: '192.0.2.0', prefix: 24 },
  { kind: 'a reserved', family: 'ipv4', network: '198.18.0.0', prefix: 15 },
  { kind: 'a reserved', family: 'ipv4', network: '198.51.100.0', prefix: 24 },
  { kind: 'a reserved', family: 'ipv4', network: '203.0.113.0', prefix: 24 },
  { kind: 'an unspecified', family: 'ipv6', network: '::', prefix: 128 },
  { kind: 'a loopback', family: 'ipv6', network: '::1', prefix: 128 },
  { kind: 'a private', family: 'ipv6', network: 'fc00::', prefix: 7 },
  { kind: 'a private', family: 'ipv6', network: 'fec0::', prefix: 10 },
  { kind: 'a link-local', family: 'ipv6', network: 'fe80::', prefix: 10 },
  { kind: 'a multicast', family: 'ipv6', network: 'ff00::', prefix: 8 },
  { kind: 'a reserved', family: 'ipv6', network: '100::', prefix: 64 },
  { kind: 'a reserved', family: 'ipv6', network: '2001:db8::', prefix: 32 },
];

const BLOCKS = RANGES.map((range) => {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return { ...range, list };
});

/** The eight 16-bit groups of an IPv6 address (one that isIP has accepted). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0] as string;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}

// IPv6 forms that carry an IPv4 address and reach it: IPv4-mapped and IPv4-compatible
// (::ffff:a.b.c.d, ::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
function embeddedIpv4(groups: number[]): string | null {
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const zeroTo = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (zeroTo(5) && g5 === 0xffff) return v4(g6, g7);
  if (zeroTo(6) && (g6 !== 0 || g7 > 1)) return v4(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4(g6, g7);
  if (g0 === 0x2002) return v4(g1, g2);
  return null;
}

/** What kind of non-public address `address` is ("a private", "a loopback"...), or null for a public one. */
export function forbiddenAddressKind(address: string): string | null {
  let family = isIP(address);
  let checked = address;
  if (family === 6) {
    const inner = embeddedIpv4(ipv6Groups(address));
    if (inner !== null) {
      checked = inner;
      family = 4;
    }
  }
  if (family === 0) return 'an invalid';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return BLOCKS.find((block) => block.family === type && block.list.check(checked, type))?.kind ?? null;
}

const systemLookup: HostLookup = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

async function resolveHost(hostname: string, lookup: HostLookup): Promise<LookupAddress[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' })), DNS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([lookup(hostname), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const refuse = (message: string, permanent: boolean): CallbackUrlCheck => ({ ok: false, message, permanent });

/**
 * Checks that `text` is a URL the gateway may POST webhooks to: http or https, no credentials,
 * and a host whose every address is public (unless `allowPrivateHosts`). The message of a
 * refusal is meant for the client, as a 400's.
 */
export async function checkCallbackUrl(text: string, options: CallbackUrlOptions): Promise<CallbackUrlCheck> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('callback_url is not a valid URL', true);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse('callback_url must be an http or https URL', true);
  if (url.username || url.password) return refuse('callback_url must not contain a user name or password', true);

  // The URL parser has already turned every spelling of an IPv4 address (0x7f.1, 2130706433...)
  // into dotted decimal, and keeps IPv6 addresses in brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: LookupAddress[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await resolveHost(host, options.lookup ?? systemLookup);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return refuse(`callback_url host ${host} could not be resolved (${code})`, false);
    }
    if (addresses.length === 0) return refuse(`callback_url host ${host} could not be resolved (no addresses)`, false);
  }

  if (!options.allowPrivateHosts) {
    for (const { address } of addresses) {
      const kind = forbiddenAddressKind(address);
      if (kind === null) continue;
      const where = address === host ? address : `${host} resolves to ${address}`;
      return refuse(`callback_url points at ${kind} address (${where}); webhooks are only sent to public hosts`, false);
    }
  }
  return { ok: true, url, addresses };
}

/** checkCallbackUrl for request handlers: a refusal becomes a 400 on the `callback_url` field. */
export async function assertCallbackUrl(text: string, options: CallbackUrlOptions): Promise<void> {
  const check = await checkCallbackUrl(text, options);
  if (!check.ok) throw badRequest(check.message, 'callback_url');
}
