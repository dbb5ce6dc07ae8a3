// The SSRF guard on callback URLs.
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.ts';
import { assertCallbackUrl, checkCallbackUrl, forbiddenAddressKind, type HostLookup } from '../../src/webhooks/callback-url.ts';

const strict = { allowPrivateHosts: false };
const resolvingTo = (...addresses: string[]): HostLookup => async () =>
  addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));

async function refusal(url: string, options: Parameters<typeof checkCallbackUrl>[1] = strict) {
  const check = await checkCallbackUrl(url, options);
  if (check.ok) throw new Error(`${url} was accepted`);
  return check;
}

describe('checkCallbackUrl', () => {
  it('accepts public hosts, by address or by name, and says where to connect', async () => {
    const byAddress = await checkCallbackUrl('https://93.184.215.14/hooks?x=1', strict);
    expect(byAddress).toMatchObject({ ok: true, addresses: [{ address: '93.184.215.14', family: 4 }] });
    const byName = await checkCallbackUrl('https://hooks.example.com/video', { ...strict, lookup: resolvingTo('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c') });
    expect(byName.ok).toBe(true);
    if (byName.ok) expect(byName.addresses.map((a) => a.address)).toEqual(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']);
    expect((await checkCallbackUrl('http://172.32.0.1/', strict)).ok).toBe(true);
    expect((await checkCallbackUrl('http://[2606:4700::1111]/', strict)).ok).toBe(true);
  });

  it.each([
    ['http://127.0.0.1:8080/hook', 'a loopback address (127.0.0.1)'],
    ['http://127.1.2.3/', 'a loopback address (127.1.2.3)'],
    ['http://2130706433/', 'a loopback address (127.0.0.1)'],
    ['http://0x7f.1/', 'a loopback address (127.0.0.1)'],
    ['http://[::1]/', 'a loopback address (::1)'],
    ['http://10.0.0.5/hook', 'a private address (10.0.0.5)'],
    ['http://172.16.0.1/', 'a private address (172.16.0.1)'],
    ['http://172.31.255.254/', 'a private address (172.31.255.254)'],
    ['http://192.168.1.20/', 'a private address (192.168.1.20)'],
    ['http://100.64.1.1/', 'a private address (100.64.1.1)'],
    ['http://[fc00::1]/', 'a private address (fc00::1)'],
    ['http://[fd12:3456::1]/', 'a private address (fd12:3456::1)'],
    ['http://169.254.169.254/latest/meta-data/', 'a link-local address (169.254.169.254)'],
    ['http://[fe80::1]/', 'a link-local address (fe80::1)'],
    ['http://0.0.0.0/', 'an unspecified address (0.0.0.0)'],
    ['http://[::]/', 'an unspecified address (::)'],
    ['http://224.0.0.1/', 'a multicast address (224.0.0.1)'],
    ['http://[ff02::1]/', 'a multicast address (ff02::1)'],
    ['http://255.255.255.255/', 'a reserved address (255.255.255.255)'],
    ['http://[::ffff:127.0.0.1]/', 'a loopback address (::ffff:7f00:1)'],
    ['http://[::ffff:169.254.169.254]/', 'a link-local address (::ffff:a9fe:a9fe)'],
    ['http://[64:ff9b::a00:5]/', 'a private address (64:ff9b::a00:5)'],
    ['http://[2002:c0a8:101::1]/', 'a private address (2002:c0a8:101::1)'],
    // IPv4-translated (RFC 6145), Teredo, local-use NAT64 (RFC 8215) and the 6to4 relay anycast
    ['http://[::ffff:0:127.0.0.1]/', 'a loopback address (::ffff:0:7f00:1)'],
    ['http://[::ffff:0:10.0.0.1]/', 'a private address (::ffff:0:a00:1)'],
    ['http://[2001::1]/', 'a reserved address (2001::1)'],
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'a reserved address (2001:0:4136:e378:8000:63bf:3fff:fdd2)'],
    ['http://[64:ff9b:1::a00:1]/', 'a reserved address (64:ff9b:1::a00:1)'],
    ['http://192.88.99.1/', 'a reserved address (192.88.99.1)'],
    ['http://[::127.0.0.1]/', 'a reserved address (::7f00:1)'],
    ['http://198.18.0.1/', 'a reserved address (198.18.0.1)'],
    ['http://[2001:db8::1]/', 'a reserved address (2001:db8::1)'],
  ])('refuses %s', async (url, where) => {
    const check = await refusal(url);
    expect(check.message).toBe(`callback_url points at ${where}; webhooks are only sent to public hosts`);
    expect(check.permanent).toBe(false);
  });

  it('refuses a name that resolves to a private address, even among public ones', async () => {
    const check = await refusal('https://internal.example.com/x', { ...strict, lookup: resolvingTo('93.184.215.14', '10.0.0.5') });
    expect(check.message).toBe('callback_url points at a private address (internal.example.com resolves to 10.0.0.5); webhooks are only sent to public hosts');
    expect((await refusal('http://localhost:3000/')).message).toMatch(/^callback_url points at a loopback address \(localhost resolves to (127\.0\.0\.1|::1)\)/);
  });

  it.each([
    ['https://user:secret@example.com/hook', 'callback_url must not contain a user name or password'],
    ['https://user@example.com/hook', 'callback_url must not contain a user name or password'],
    ['ftp://example.com/file', 'callback_url must be an http or https URL'],
    ['file:///etc/passwd', 'callback_url must be an http or https URL'],
    ['javascript:alert(1)', 'callback_url must be an http or https URL'],
    ['not a url', 'callback_url is not a valid URL'],
    ['', 'callback_url is not a valid URL'],
  ])('refuses %s for good', async (url, message) => {
    expect(await refusal(url)).toEqual({ ok: false, message, permanent: true });
  });

  it('refuses a host that does not resolve, as something that may pass later', async () => {
    const check = await refusal('https://no-such-host.invalid/hook');
    expect(check.message).toMatch(/^callback_url host no-such-host\.invalid could not be resolved \(\w+\)$/);
    expect(check.permanent).toBe(false);
    expect((await refusal('https://empty.example/', { ...strict, lookup: resolvingTo() })).message).toBe('callback_url host empty.example could not be resolved (no addresses)');
  });

  it('lets private hosts through when allowed, but still checks the rest', async () => {
    const relaxed = { allowPrivateHosts: true };
    expect((await checkCallbackUrl('http://127.0.0.1:9/hook', relaxed)).ok).toBe(true);
    expect((await checkCallbackUrl('http://10.0.0.5/', relaxed)).ok).toBe(true);
    expect((await checkCallbackUrl('http://[::1]/', relaxed)).ok).toBe(true);
    expect((await refusal('ftp://127.0.0.1/', relaxed)).permanent).toBe(true);
    expect((await refusal('http://a:b@127.0.0.1/', relaxed)).permanent).toBe(true);
    expect((await refusal('http://no-such-host.invalid/', relaxed)).permanent).toBe(false);
  });
});

describe('assertCallbackUrl', () => {
  it('throws a 400 on the callback_url field', async () => {
    const err = await assertCallbackUrl('http://10.0.0.5/', strict).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 400, param: 'callback_url', message: expect.stringContaining('private address (10.0.0.5)') });
    await expect(assertCallbackUrl('https://93.184.215.14/', strict)).resolves.toBeUndefined();
  });
});

describe('forbiddenAddressKind', () => {
  it('knows the edges of each range', () => {
    expect(forbiddenAddressKind('9.255.255.255')).toBeNull();
    expect(forbiddenAddressKind('11.0.0.0')).toBeNull();
    expect(forbiddenAddressKind('172.15.255.255')).toBeNull();
    expect(forbiddenAddressKind('192.169.0.0')).toBeNull();
    expect(forbiddenAddressKind('169.253.255.255')).toBeNull();
    expect(forbiddenAddressKind('223.255.255.255')).toBeNull();
    expect(forbiddenAddressKind('fbff::1')).toBeNull();
    expect(forbiddenAddressKind('::ffff:8.8.8.8')).toBeNull();
    expect(forbiddenAddressKind('64:ff9b::808:808')).toBeNull();
    expect(forbiddenAddressKind('2002:808:808::1')).toBeNull();
    expect(forbiddenAddressKind('2606:4700::1111')).toBeNull();
    expect(forbiddenAddressKind('::ffff:10.1.1.1')).toBe('a private');
    expect(forbiddenAddressKind('fe80::1%eth0')).toBe('a link-local');
  });
});
