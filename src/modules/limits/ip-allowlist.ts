// CIDR allow-lists of client addresses (an API key's allowed_ips, or its user's).
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses "10.0.0.0/8", "2001:db8::/32" or a single address; throws on anything else. */
export function parseRange(text: string): Range {
  return text.includes('/') ? ipaddr.parseCIDR(text) : (() => {
    const address = ipaddr.parse(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128] as Range;
  })();
}

/** Whether `text` is an address or CIDR range an allow-list can hold. */
export const isRange = (text: string): boolean => {
  try {
    parseRange(text);
    return true;
  } catch {
    return false;
  }
};

/** A matcher for a list of ranges; an empty list lets every address through. */
export function allowList(ranges: string[]): (ip: string) => boolean {
  if (ranges.length === 0) return () => true;
  const parsed = ranges.map(parseRange);
  return (ip) => {
    let address: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      address = ipaddr.process(ip);
    } catch {
      return false;
    }
    return parsed.some(([range, bits]) => {
      // An IPv4 range also covers the same address written as IPv4-mapped IPv6 (process() unmaps it).
      if (address.kind() !== range.kind()) return false;
      return address.match(range, bits);
    });
  };
}
