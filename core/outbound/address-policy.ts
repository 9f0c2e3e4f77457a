import ipaddr from 'ipaddr.js';

/**
 * IPv6 prefixes that no legitimate public receiver sits behind, but that a host's tunnels or a
 * translator can turn into an IPv4 destination: IPv4-compatible addresses (deprecated, yet `sit`
 * still tunnels them; the URL parser writes `[::127.0.0.1]` as `[::7f00:1]`), Teredo (its client
 * address is obfuscated and its server is any IPv4) and local-use NAT64. Refused whole, whatever
 * they embed.
 */
const embeddingPrefixes: [ipaddr.IPv6, number, string][] = [
  [ipaddr.IPv6.parse('::'), 96, 'IPv4-compatible'],
  [ipaddr.IPv6.parse('2001::'), 32, 'Teredo'],
  [ipaddr.IPv6.parse('64:ff9b:1::'), 48, 'local-use NAT64'],
];

/**
 * The address an IPv6 form really reaches when it embeds an IPv4 one: mapped `::ffff:0:0/96`,
 * NAT64 `64:ff9b::/96`, 6to4 `2002::/16` and ISATAP interface identifiers (`…:5efe:a.b.c.d`) are
 * judged by the IPv4 address inside; an embedding form refused whole comes back as its name.
 * `::` and `::1` keep their own meaning (unspecified, loopback).
 */
export function effectiveAddress(parsed: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 | { refused: string } {
  if (parsed.kind() !== 'ipv6') return parsed;
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'unspecified' || range === 'loopback') return v6;
  const bytes = v6.toByteArray();
  if (range === 'ipv4Mapped' && bytes[10] === 0xff) return new ipaddr.IPv4(bytes.slice(12, 16));
  for (const [prefix, bits, name] of embeddingPrefixes) if (v6.match(prefix, bits)) return { refused: name };
  if (range === 'rfc6052') return new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  const isatap = (bytes[8] === 0x00 || bytes[8] === 0x02) && bytes[9] === 0x00 && bytes[10] === 0x5e && bytes[11] === 0xfe;
  if (isatap) return new ipaddr.IPv4(bytes.slice(12, 16));
  return v6;
}

/**
 * What an address literal really reaches, as text (an embedded IPv4 address for the IPv6 forms
 * that carry one), or `{ refused }` for an embedding form with no public use. For address policies
 * of plugins' own (endpoint checks may open private networks that outbound calls may not).
 */
export function reachedAddress(address: string): string | { refused: string } {
  const reached = effectiveAddress(parseAddress(address));
  return 'refused' in reached ? reached : reached.toString();
}

/**
 * Parses an address, writing an IPv6 dotted tail as hex first: ipaddr.js reads `::a.b.c.d` as the
 * mapped `::ffff:a.b.c.d`, which would judge an IPv4-compatible address by the IPv4 inside.
 */
export function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (!dotted || !ipaddr.IPv4.isValidFourPartDecimal(dotted[2])) return ipaddr.parse(address);
  const [a, b, c, d] = ipaddr.IPv4.parse(dotted[2]).octets;
  return ipaddr.IPv6.parse(`${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
}

/**
 * Whether an outbound request may go to an address. Only public unicast addresses pass: loopback,
 * RFC 1918, link-local (cloud metadata), CGNAT, unspecified, multicast, broadcast, reserved and
 * IPv6 unique-local are refused, IPv6 forms that embed an IPv4 address are judged by it, and the
 * embedding forms with no public use are refused outright.
 */
export function addressVerdict(address: string): { allowed: true } | { allowed: false; reason: string } {
  if (!ipaddr.isValid(address)) return { allowed: false, reason: `${address} is not an IP address` };
  const effective = effectiveAddress(parseAddress(address));
  if ('refused' in effective) return { allowed: false, reason: `${address} is in a blocked range (${effective.refused})` };
  const range = effective.range();
  return range === 'unicast' ? { allowed: true } : { allowed: false, reason: `${address} is in a blocked range (${range})` };
}
