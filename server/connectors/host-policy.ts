/**
 * Which hosts an organisation may make the server connect to. Anyone who can
 * create a connection picks its host and port, so without a policy the server
 * would dial its own loopback, the cloud metadata service or the private
 * network on their behalf (SSRF). By default only public addresses pass; an
 * operator allows more with INSIGHT_CONNECTION_HOSTS (host names, addresses
 * and CIDR ranges).
 *
 * A name is resolved once, every address it resolves to is checked, and the
 * caller connects to the checked address, never to the name again: a second
 * DNS answer (rebinding) could otherwise differ from the one we checked.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { InsightError } from '../errors/insight-error.ts';
import { couldNotConnect } from './connector.ts';

export type AddressFamily = 4 | 6;

export interface ResolvedAddress {
  address: string;
  family: AddressFamily;
}

/** All addresses of a name, as `dns.lookup(name, { all: true })` gives them; injectable for tests. */
export type HostLookup = (host: string) => Promise<ResolvedAddress[]>;

export interface HostPolicyOptions {
  /** Host names, addresses and CIDR ranges allowed on top of public addresses (INSIGHT_CONNECTION_HOSTS). */
  allow?: readonly string[];
  lookup?: HostLookup;
}

/** Where to connect: a checked address, and the name it came from (for TLS server identity). */
export interface PinnedHost {
  address: string;
  family: AddressFamily;
  /** The name as configured, when it was a name rather than an address. */
  name?: string;
}

export interface HostPolicy {
  /**
   * Resolves the host and checks every address. Throws
   * ERR_CONNECTION_HOST_NOT_ALLOWED when any is refused, and
   * ERR_DATABASE_UNAVAILABLE when the name does not resolve.
   */
  resolve(host: string): Promise<PinnedHost>;
  /**
   * The check for stored settings: refuses what `resolve` would refuse, but
   * lets a name that does not resolve yet be stored (`resolve` checks it
   * again before any connection).
   */
  admit(host: string): Promise<void>;
}

/**
 * Names of cloud instance metadata services. They resolve to link-local
 * addresses on the cloud and to nothing elsewhere; refused by name so that a
 * resolver that answers differently cannot matter.
 */
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'metadata.azure.com', 'instance-data', 'instance-data.ec2.internal']);
/** Suffixes reserved for private or local use (RFC 6761 `localhost`, ICANN `.internal`). */
const LOCAL_SUFFIXES = ['.localhost', '.internal'];

/** Everything that is not a public unicast address. */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible (deprecated)
  ['100::', 64], // discard
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/**
 * The IPv4 address an IPv4 literal in any form `inet_aton` accepts stands
 * for: one to four parts, each decimal, octal (leading 0) or hex (0x), the
 * last part filling the remaining bytes (`2130706433`, `0x7f.1`,
 * `0177.0.0.1`, `127.1` are all 127.0.0.1). Undefined when `host` is not
 * such a literal.
 *
 * @example
 * parseIpv4('0x7f000001'); // '127.0.0.1'
 * parseIpv4('db.example.com'); // undefined
 */
export function parseIpv4(host: string): string | undefined {
  const parts = host.split('.');
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) value = parseInt(part, 8);
    else if (/^[1-9][0-9]*$/.test(part)) value = parseInt(part, 10);
    else return undefined;
    if (!Number.isSafeInteger(value)) return undefined;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255)) return undefined;
  if (last >= 256 ** (4 - values.length)) return undefined;
  let whole = last;
  values.forEach((v, i) => {
    whole += v * 256 ** (3 - i);
  });
  return [24, 16, 8, 0].map((shift) => Math.floor(whole / 2 ** shift) % 256).join('.');
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part included). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const bytes = dotted[1]!.split('.').map(Number);
    text = text.slice(0, dotted.index) + `${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

function ipv4FromGroups(high: number, low: number): string {
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * The IPv4 address an IPv6 address carries and is routed to: IPv4-mapped
 * (`::ffff:127.0.0.1`, `::ffff:7f00:1`), NAT64 (`64:ff9b::/96`) and 6to4
 * (`2002::/16`). Undefined for other IPv6 addresses.
 */
export function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return ipv4FromGroups(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return ipv4FromGroups(g[6]!, g[7]!);
  if (g[0] === 0x2002) return ipv4FromGroups(g[1]!, g[2]!);
  return undefined;
}

/**
 * An address literal in the one form a socket is opened with: IPv4 dotted
 * quad (also for IPv4 inside IPv6), or IPv6 without brackets or zone.
 * Undefined when `host` is a name.
 */
export function canonicalAddress(host: string): ResolvedAddress | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIP(bare) === 6) {
    const inner = embeddedIpv4(bare);
    return inner ? { address: inner, family: 4 } : { address: bare.toLowerCase(), family: 6 };
  }
  const v4 = isIP(bare) === 4 ? bare : parseIpv4(bare);
  return v4 ? { address: v4, family: 4 } : undefined;
}

/** True for a public unicast address (the default policy), given in canonical form. */
export function isPublicAddress(address: ResolvedAddress): boolean {
  return !NOT_PUBLIC.check(address.address, address.family === 4 ? 'ipv4' : 'ipv6');
}

function normaliseName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

function isLocalName(name: string): boolean {
  return name === 'localhost' || METADATA_NAMES.has(name) || LOCAL_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

interface Allowlist {
  names: Set<string>;
  addresses: BlockList;
}

/** Throws a plain Error naming the bad entry; loadConfig turns it into a configuration error. */
export function parseAllowlist(entries: readonly string[]): Allowlist {
  const names = new Set<string>();
  const addresses = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    const [base, prefixText, extra] = entry.split('/');
    const address = canonicalAddress(base!);
    if (prefixText !== undefined) {
      const prefix = Number(prefixText);
      const family = isIP(base!.replace(/^\[(.*)\]$/, '$1'));
      const max = family === 4 ? 32 : 128;
      if (extra !== undefined || family === 0 || !/^\d+$/.test(prefixText) || prefix > max) {
        throw new Error(`"${entry}" is not a host name, an address or a CIDR range`);
      }
      addresses.addSubnet(base!.replace(/^\[(.*)\]$/, '$1'), prefix, family === 4 ? 'ipv4' : 'ipv6');
    } else if (address) {
      addresses.addAddress(address.address, address.family === 4 ? 'ipv4' : 'ipv6');
    } else if (/^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?\.?$/i.test(entry)) {
      names.add(normaliseName(entry));
    } else {
      throw new Error(`"${entry}" is not a host name, an address or a CIDR range`);
    }
  }
  return { names, addresses };
}

const defaultLookup: HostLookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

function notAllowed(): InsightError {
  // Decided before any socket: says nothing about what listens there.
  return new InsightError('ERR_CONNECTION_HOST_NOT_ALLOWED');
}

class UnresolvedHost extends Error {}

/**
 * @example
 * const policy = createHostPolicy({ allow: ['127.0.0.1', '10.1.0.0/16'] });
 * const pinned = await policy.resolve('db.example.com'); // { address: '93.184.215.14', family: 4, name: 'db.example.com' }
 * await policy.resolve('169.254.169.254'); // throws ERR_CONNECTION_HOST_NOT_ALLOWED
 */
export function createHostPolicy(options: HostPolicyOptions = {}): HostPolicy {
  const allow = parseAllowlist(options.allow ?? []);
  const lookup = options.lookup ?? defaultLookup;

  const allowed = (address: ResolvedAddress) =>
    allow.addresses.check(address.address, address.family === 4 ? 'ipv4' : 'ipv6') || isPublicAddress(address);

  async function check(host: string): Promise<PinnedHost> {
    // A trailing dot (fully qualified form) is accepted by resolvers for addresses too: `127.0.0.1.`.
    const literal = canonicalAddress(host.replace(/\.$/, ''));
    if (literal) {
      if (!allowed(literal)) throw notAllowed();
      return literal;
    }
    const name = normaliseName(host);
    const named = allow.names.has(name);
    if (!named && isLocalName(name)) throw notAllowed();
    let answers: ResolvedAddress[];
    try {
      answers = await lookup(name);
    } catch {
      throw new UnresolvedHost();
    }
    if (answers.length === 0) throw new UnresolvedHost();
    const checked = answers.map((a) => canonicalAddress(a.address) ?? a);
    // An operator who names a host trusts what it resolves to; anything else must be allowed address by address.
    if (!named && !checked.every(allowed)) throw notAllowed();
    return { ...checked[0]!, name };
  }

  return {
    async resolve(host) {
      try {
        return await check(host);
      } catch (error) {
        if (error instanceof UnresolvedHost) throw couldNotConnect('ENOTFOUND');
        throw error;
      }
    },
    async admit(host) {
      try {
        await check(host);
      } catch (error) {
        if (!(error instanceof UnresolvedHost)) throw error;
      }
    },
  };
}
