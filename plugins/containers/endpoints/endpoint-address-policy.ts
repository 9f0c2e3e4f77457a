import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { reachedAddress } from '../../../core/plugin-api/index.ts';

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
 * What an address literal really reaches, by the platform's own reading: an IPv6 form embedding an
 * IPv4 address is judged by that address, and the embedding forms no checked service sits behind
 * (IPv4-compatible, Teredo, local-use NAT64) are refused whatever network is opened.
 */
function effectiveAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | { refused: string } {
  const reached = reachedAddress(address);
  return typeof reached === 'string' ? ipaddr.parse(reached) : reached;
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
