import ipaddr from 'ipaddr.js';

/**
 * Whether an outbound request may go to an address. Only public unicast addresses pass: loopback,
 * RFC 1918, link-local (cloud metadata), CGNAT, unspecified, multicast, broadcast, reserved and
 * IPv6 unique-local are refused, and IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4,
 * Teredo) are judged by the embedded address.
 */
export function addressVerdict(address: string): { allowed: true } | { allowed: false; reason: string } {
  if (!ipaddr.isValid(address)) return { allowed: false, reason: `${address} is not an IP address` };
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const range = v6.range();
    if (range === 'ipv4Mapped') parsed = v6.toIPv4Address();
    else if (range === 'rfc6052' || range === '6to4' || range === 'teredo') {
      const bytes = v6.toByteArray();
      const embedded = range === '6to4' ? bytes.slice(2, 6) : range === 'teredo' ? bytes.slice(12, 16).map((b) => b ^ 0xff) : bytes.slice(12, 16);
      parsed = new ipaddr.IPv4(embedded);
    }
  }
  const range = parsed.range();
  return range === 'unicast' ? { allowed: true } : { allowed: false, reason: `${address} is in a blocked range (${range})` };
}
