import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { isInsightError } from '../errors/insight-error.ts';
import { canonicalAddress, createHostPolicy, embeddedIpv4, isPublicAddress, parseAllowlist, parseIpv4, type HostLookup, type ResolvedAddress } from './host-policy.ts';

/** A resolver with fixed answers that counts its calls; unknown names fail like ENOTFOUND. */
function fakeLookup(answers: Record<string, string[] | string[][]>) {
  const calls: string[] = [];
  const lookup: HostLookup = async (host) => {
    const seen = calls.filter((c) => c === host).length;
    calls.push(host);
    const entry = answers[host];
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    // A list of lists answers differently on each call (DNS rebinding).
    const list = (Array.isArray(entry[0]) ? (entry as string[][])[Math.min(seen, entry.length - 1)] : entry) as string[];
    return list.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { lookup, calls };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isInsightError(error) ? error.code : String(error);
  }
}

describe('parseIpv4: IPv4 literals in every form the OS accepts', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'], // one decimal number
    ['0x7f000001', '127.0.0.1'], // one hex number
    ['0X7F000001', '127.0.0.1'],
    ['017700000001', '127.0.0.1'], // one octal number
    ['0177.0.0.1', '127.0.0.1'], // octal part
    ['0x7f.0.0.1', '127.0.0.1'], // hex part
    ['0x7f.1', '127.0.0.1'], // short form a.b
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'], // short form a.b.c
    ['0', '0.0.0.0'],
    ['0251.0376.0251.0376', '169.254.169.254'],
    ['2852039166', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['10.1', '10.0.0.1'],
  ])('%s is %s', (text, address) => {
    expect(parseIpv4(text)).toBe(address);
  });

  it.each(['db.example.com', '08.0.0.1', '1.2.3.4.5', '256.0.0.1', '4294967296', '127.0.0.1x', '', '1..1', '0x1g'])('%s is not an IPv4 literal', (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });
});

describe('canonicalAddress and embeddedIpv4', () => {
  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1', 4],
    ['::ffff:7f00:1', '127.0.0.1', 4],
    ['[::ffff:7f00:1]', '127.0.0.1', 4],
    ['::FFFF:A9FE:A9FE', '169.254.169.254', 4],
    ['64:ff9b::a9fe:a9fe', '169.254.169.254', 4], // NAT64
    ['2002:7f00:1::', '127.0.0.1', 4], // 6to4
    ['[::1]', '::1', 6],
    ['fe80::1%eth0', 'fe80::1', 6],
    ['2130706433', '127.0.0.1', 4],
  ])('%s connects to %s', (host, address, family) => {
    expect(canonicalAddress(host)).toEqual({ address, family });
  });

  it('is undefined for names and for IPv6 without an IPv4 inside', () => {
    expect(canonicalAddress('localhost')).toBeUndefined();
    expect(embeddedIpv4('2606:4700::1111')).toBeUndefined();
  });
});

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1', '127.255.0.9', '0.0.0.0', '10.2.3.4', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '224.0.0.1', '255.255.255.255', '192.0.2.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '2001:db8::1', '::7f00:1',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(canonicalAddress(address)!)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(isPublicAddress(canonicalAddress(address)!)).toBe(true);
  });
});

describe('createHostPolicy', () => {
  it.each([
    '127.0.0.1', '127.0.0.1.', '2130706433.', '2130706433', '0x7f000001', '017700000001', '0177.0.0.1', '127.1', '0x7f.1', '0', '0.0.0.0',
    '::1', '[::1]', '::', '::ffff:127.0.0.1', '::ffff:7f00:1', '[::ffff:7f00:1]', '::ffff:a9fe:a9fe', '64:ff9b::7f00:1',
    '169.254.169.254', '0xa9fea9fe', '2852039166', '10.0.0.1', '172.16.5.4', '192.168.0.10', 'fd00::1', 'fe80::1',
  ])('refuses the address %s before any lookup', async (host) => {
    const { lookup, calls } = fakeLookup({});
    expect(await codeOf(createHostPolicy({ lookup }).resolve(host))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    expect(calls).toEqual([]);
  });

  it.each(['metadata.google.internal', 'METADATA.google.internal.', 'metadata', 'metadata.goog', 'instance-data.ec2.internal', 'anything.internal', 'localhost', 'db.localhost'])(
    'refuses the name %s without asking DNS',
    async (host) => {
      // Even a resolver answering a public address cannot make it pass.
      const { lookup, calls } = fakeLookup({ [host.toLowerCase().replace(/\.$/, '')]: ['93.184.215.14'] });
      expect(await codeOf(createHostPolicy({ lookup }).resolve(host))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
      expect(calls).toEqual([]);
    },
  );

  it('refuses a name resolving to a private address, and one with any private address among public ones', async () => {
    const { lookup } = fakeLookup({ 'inside.example.com': ['10.0.0.5'], 'mixed.example.com': ['93.184.215.14', '127.0.0.1'], 'mapped.example.com': ['::ffff:169.254.169.254'] });
    const policy = createHostPolicy({ lookup });
    expect(await codeOf(policy.resolve('inside.example.com'))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    expect(await codeOf(policy.resolve('mixed.example.com'))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    expect(await codeOf(policy.resolve('mapped.example.com'))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
  });

  it('refuses names that resolve to loopback through the system resolver (localhost is refused by name; /etc/hosts names by address)', async () => {
    const policy = createHostPolicy();
    expect(await codeOf(policy.resolve('localhost'))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    // `hostname` resolves through /etc/hosts or the resolver to an address of this machine.
    const { hostname } = await import('node:os');
    const { lookup } = await import('node:dns/promises');
    const own = await lookup(hostname(), { all: true }).catch(() => []);
    if (own.length > 0 && own.every((a) => !isPublicAddress(canonicalAddress(a.address)!))) {
      expect(await codeOf(policy.resolve(hostname()))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    }
  });

  it('pins a public name to the address it checked, resolving it once', async () => {
    const { lookup, calls } = fakeLookup({ 'db.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'] });
    const pinned = await createHostPolicy({ lookup }).resolve('DB.example.com');
    expect(pinned).toEqual({ address: '93.184.215.14', family: 4, name: 'db.example.com' });
    expect(calls).toEqual(['db.example.com']);
  });

  it('checks each resolution on its own, so a rebinding answer is refused', async () => {
    const { lookup } = fakeLookup({ 'rebind.example.com': [['93.184.215.14'], ['127.0.0.1']] });
    const policy = createHostPolicy({ lookup });
    expect((await policy.resolve('rebind.example.com')).address).toBe('93.184.215.14');
    expect(await codeOf(policy.resolve('rebind.example.com'))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
  });

  it('answers could-not-connect for a name that does not resolve, but lets it be stored', async () => {
    const { lookup } = fakeLookup({});
    const policy = createHostPolicy({ lookup });
    expect(await codeOf(policy.resolve('nowhere.example.com'))).toBe('ERR_DATABASE_UNAVAILABLE');
    await expect(policy.admit('nowhere.example.com')).resolves.toBeUndefined();
    expect(await codeOf(policy.admit('169.254.169.254'))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
  });

  it('allows what the operator lists: addresses, CIDR ranges and names', async () => {
    const { lookup } = fakeLookup({ 'warehouse.corp': ['10.1.2.3'], 'other.corp': ['10.9.9.9'] });
    const policy = createHostPolicy({ allow: ['127.0.0.1', '10.1.0.0/16', 'fd00::/8', 'metadata.google.internal'], lookup });
    expect(await policy.resolve('127.0.0.1')).toEqual({ address: '127.0.0.1', family: 4 });
    // Any spelling of an allowed address is that address.
    expect(await policy.resolve('::ffff:7f00:1')).toEqual({ address: '127.0.0.1', family: 4 });
    expect(await policy.resolve('2130706433')).toEqual({ address: '127.0.0.1', family: 4 });
    expect((await policy.resolve('warehouse.corp')).address).toBe('10.1.2.3');
    expect((await policy.resolve('fd00::5')).address).toBe('fd00::5');
    // Allowing one address does not open its neighbours.
    expect(await codeOf(policy.resolve('127.0.0.2'))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    expect(await codeOf(policy.resolve('other.corp'))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    expect(await codeOf(policy.resolve('::1'))).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
  });

  it('trusts what a listed name resolves to', async () => {
    const { lookup } = fakeLookup({ 'metadata.google.internal': ['169.254.169.254'] });
    const policy = createHostPolicy({ allow: ['Metadata.Google.Internal'], lookup });
    expect(await policy.resolve('metadata.google.internal')).toEqual({ address: '169.254.169.254', family: 4, name: 'metadata.google.internal' });
  });
});

describe('configuration', () => {
  const base = { INSIGHT_DATA_DIR: `/tmp/insight-host-policy-${process.pid}`, INSIGHT_SECRET_KEY: 'k'.repeat(20), INSIGHT_ADMIN_API_KEY: 'ik_'.padEnd(20, 'x'), INSIGHT_EMBED_SECRET: 'e'.repeat(32), INSIGHT_SESSION_SECRET: 's'.repeat(32) };

  it('is strict by default: no extra hosts, no self-registration', () => {
    const config = loadConfig(base);
    expect(config.connectionHosts).toEqual([]);
    expect(config.allowRegistration).toBe(false);
  });

  it('reads INSIGHT_CONNECTION_HOSTS and INSIGHT_ALLOW_REGISTRATION', () => {
    const config = loadConfig({ ...base, INSIGHT_CONNECTION_HOSTS: '127.0.0.1, 10.0.0.0/8 ,db.corp', INSIGHT_ALLOW_REGISTRATION: '1' });
    expect(config.connectionHosts).toEqual(['127.0.0.1', '10.0.0.0/8', 'db.corp']);
    expect(config.allowRegistration).toBe(true);
  });

  it('refuses an entry that is neither a name, an address nor a CIDR range', () => {
    expect(() => loadConfig({ ...base, INSIGHT_CONNECTION_HOSTS: '10.0.0.0/33' })).toThrow(/INSIGHT_CONNECTION_HOSTS/);
    expect(() => loadConfig({ ...base, INSIGHT_CONNECTION_HOSTS: 'http://x/' })).toThrow(/INSIGHT_CONNECTION_HOSTS/);
    expect(() => parseAllowlist(['db.corp/8'])).toThrow();
  });
});
