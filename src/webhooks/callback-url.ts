// Where the gateway may send webhooks. A callback URL is chosen by a customer, and the gateway
// POSTs to it from inside the operator's network: without this guard a customer could make it
// call the cloud metadata service, a database's HTTP port or any other internal service. The check
// runs when the URL is given and again before every attempt, because what a name resolves to can
// change in between; the delivery then connects to exactly the addresses checked here.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
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

// Which addresses are not public comes from ipaddr.js's table of special-purpose ranges (IANA's
// registries), not from a list of our own. Its range names, in the words a refusal uses; every
// other special range (documentation, benchmarking, Teredo, local-use NAT64, the 6to4 relay
// anycast, discard...) is "a reserved" address.
const KIND_OF_RANGE: Record<string, string> = {
  unspecified: 'an unspecified',
  loopback: 'a loopback',
  private: 'a private',
  carrierGradeNat: 'a private',
  uniqueLocal: 'a private',
  deprecatedSiteLocal: 'a private',
  linkLocal: 'a link-local',
  multicast: 'a multicast',
};

const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');
// Deprecated IPv4-compatible addresses (::a.b.c.d): nothing legitimate is there.
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

const ipv4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 255, low >> 8, low & 255]);

// IPv6 forms that carry an IPv4 address and reach it: IPv4-mapped (::ffff:a.b.c.d),
// IPv4-translated (::ffff:0:a.b.c.d), the well-known NAT64 prefix (64:ff9b::a.b.c.d) and 6to4
// (2002:aabb:ccdd::). Their IPv4 address is what counts.
function embeddedIpv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const parts = ip.parts;
  switch (ip.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return ipv4(parts[6] as number, parts[7] as number);
    case 'rfc6052':
      return ip.match(NAT64_WELL_KNOWN) ? ipv4(parts[6] as number, parts[7] as number) : null;
    case '6to4':
      return ipv4(parts[1] as number, parts[2] as number);
    default:
      return null;
  }
}

/** What kind of non-public address `address` is ("a private", "a loopback"...), or null for a public one. */
export function forbiddenAddressKind(address: string): string | null {
  if (!isIP(address)) return 'an invalid';
  const parsed = ipaddr.parse(address);
  const ip = parsed.kind() === 'ipv6' ? (embeddedIpv4(parsed as ipaddr.IPv6) ?? parsed) : parsed;
  const range = ip.range();
  if (range === 'unicast') return ip.kind() === 'ipv6' && ip.match(IPV4_COMPATIBLE) ? 'a reserved' : null;
  return KIND_OF_RANGE[range] ?? 'a reserved';
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
