import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where endpoint and certificate checks may connect. They are made on a workspace's behalf, like
 * webhooks, so they follow the same rules as the core's outbound guard (public unicast only; the
 * host resolved once, every address checked, the socket pinned to the checked address), with one
 * difference: the admin's own services live on private addresses, so the platform operator may
 * open private ranges to checks, for every workspace (`10.0.0.0/8`) or for one (`acme=10.1.0.0/16`),
 * through ITOPS_CONTAINERS_ENDPOINT_PRIVATE_NETWORKS. Host names of ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST
 * and the development switch ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS apply as they do to webhooks.
 * Unspecified, broadcast and multicast addresses are never checked.
 */
export interface PrivateNetwork {
  /** null: every workspace. */
  tenantId: string | null;
  range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  text: string;
}

export interface CheckAddressPolicy {
  privateNetworks: PrivateNetwork[];
  hostAllowlist: readonly string[];
  allowPrivate: boolean;
  /** Resolver (tests inject one); default: the system's. */
  resolve?: (host: string) => Promise<string[]>;
}

export const privateNetworksVariable = 'ITOPS_CONTAINERS_ENDPOINT_PRIVATE_NETWORKS';

export class CheckBlockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckBlockedError';
  }
}

/** Parses `cidr` and `workspace=cidr` entries; throws one error naming every bad entry. */
export function parsePrivateNetworks(entries: string[]): PrivateNetwork[] {
  const networks: PrivateNetwork[] = [];
  const bad: string[] = [];
  for (const raw of entries.map((e) => e.trim()).filter(Boolean)) {
    const at = raw.indexOf('=');
    const tenantId = at >= 0 ? raw.slice(0, at).trim() : null;
    const cidr = (at >= 0 ? raw.slice(at + 1) : raw).trim();
    if (tenantId === '' || !ipaddr.isValidCIDR(cidr)) {
      bad.push(raw);
      continue;
    }
    networks.push({ tenantId, range: ipaddr.parseCIDR(cidr), text: raw });
  }
  if (bad.length > 0) throw new Error(`${privateNetworksVariable}: not a CIDR range or workspace=CIDR: ${bad.join(', ')}`);
  return networks;
}

/**
 * IPv6 prefixes no checked service sits behind but a host's tunnels or a translator can turn into
 * an IPv4 destination: IPv4-compatible (`[::127.0.0.1]` is written `[::7f00:1]` by the URL parser),
 * Teredo and local-use NAT64. Never checked, whatever they embed and whichever network is opened.
 */
const refusedPrefixes: [ipaddr.IPv6, number, string][] = [
  [ipaddr.IPv6.parse('::'), 96, 'IPv4-compatible'],
  [ipaddr.IPv6.parse('2001::'), 32, 'Teredo'],
  [ipaddr.IPv6.parse('64:ff9b:1::'), 48, 'local-use NAT64'],
];

/** ipaddr.js reads `::a.b.c.d` as mapped `::ffff:a.b.c.d`; the dotted tail is written as hex first. */
function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (!tail || !ipaddr.IPv4.isValidFourPartDecimal(tail[2])) return ipaddr.parse(address);
  const octets = ipaddr.IPv4.parse(tail[2]).octets;
  const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return ipaddr.IPv6.parse(`${tail[1]}${hex(octets[0], octets[1])}:${hex(octets[2], octets[3])}`);
}

/**
 * An IPv6 form that embeds an IPv4 address (mapped, NAT64, 6to4, ISATAP) is judged by the embedded
 * one; a refused prefix comes back as its name.
 */
function effectiveAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | { refused: string } {
  const parsed = parseAddress(address);
  if (parsed.kind() !== 'ipv6') return parsed;
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'unspecified' || range === 'loopback') return v6;
  const bytes = v6.toByteArray();
  if (range === 'ipv4Mapped' && bytes[10] === 0xff) return new ipaddr.IPv4(bytes.slice(12, 16));
  const refused = refusedPrefixes.find(([prefix, bits]) => v6.match(prefix, bits));
  if (refused) return { refused: refused[2] };
  if (range === 'rfc6052') return new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  if ((bytes[8] & 0xfd) === 0 && bytes[9] === 0 && bytes[10] === 0x5e && bytes[11] === 0xfe) return new ipaddr.IPv4(bytes.slice(12, 16));
  return v6;
}

const neverChecked = new Set(['unspecified', 'broadcast', 'multicast']);

/** Whether a check of `tenantId` may connect to `address`. */
export function checkAddressVerdict(policy: CheckAddressPolicy, tenantId: string, address: string): { allowed: true } | { allowed: false; reason: string } {
  if (!ipaddr.isValid(address)) return { allowed: false, reason: `${address} is not an IP address` };
  const parsed = effectiveAddress(address);
  if ('refused' in parsed) return { allowed: false, reason: `${address} is in a range never checked (${parsed.refused})` };
  const range = parsed.range();
  if (neverChecked.has(range)) return { allowed: false, reason: `${address} is a ${range} address` };
  if (range === 'unicast' || policy.allowPrivate) return { allowed: true };
  const opened = policy.privateNetworks.some(
    (n) => (n.tenantId === null || n.tenantId === tenantId) && n.range[0].kind() === parsed.kind() && parsed.match(n.range),
  );
  if (opened) return { allowed: true };
  return { allowed: false, reason: `${address} is a private address (${range}) not opened to this workspace's checks by ${privateNetworksVariable}` };
}

const systemResolve = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The host of a URL or a monitor, without IPv6 brackets. */
export const bareHost = (host: string) => host.replace(/^\[|\]$/g, '');

/**
 * Resolves `host` and checks every address; returns the one to connect to, or throws
 * CheckBlockedError (nothing connected). An allowlisted host name skips the address check.
 */
export async function resolveCheckTarget(policy: CheckAddressPolicy, tenantId: string, hostName: string): Promise<string> {
  const host = bareHost(hostName);
  const allowlisted = policy.hostAllowlist.some((h) => h.toLowerCase() === host.toLowerCase());
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (policy.resolve ?? systemResolve)(host);
    } catch {
      throw new CheckBlockedError(`${host} could not be resolved`);
    }
  }
  if (addresses.length === 0) throw new CheckBlockedError(`${host} has no address`);
  if (!allowlisted) {
    for (const address of addresses) {
      const verdict = checkAddressVerdict(policy, tenantId, address);
      if (!verdict.allowed) throw new CheckBlockedError(`${host} is not allowed: ${verdict.reason}`);
    }
  }
  return addresses[0];
}

/** For a host that is a literal address: why checks of this workspace may not reach it (else null). */
export function literalHostProblem(policy: CheckAddressPolicy, tenantId: string, hostName: string): string | null {
  const host = bareHost(hostName);
  if (!isIP(host) || policy.hostAllowlist.some((h) => h.toLowerCase() === host.toLowerCase())) return null;
  const verdict = checkAddressVerdict(policy, tenantId, host);
  return verdict.allowed ? null : verdict.reason;
}
