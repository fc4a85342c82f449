// Rewrites endpoint addresses from one IPv4 prefix to another of the same length before they
// reach the proxies' snapshots.
//
// Why: in the local test environment and the playground, pods are simulated by kwok and
// their processes listen on loopback addresses. Kubernetes refuses loopback addresses in
// EndpointSlices ("may not be in the loopback range (127.0.0.0/8, ::1/128)"), so simulated
// pods get addresses from the never-routed benchmarking range 198.18.0.0/15 instead, and
// the control plane maps each one 1:1 onto loopback (198.18.a.b -> 127.18.a.b). In a real
// cluster no map is configured and addresses pass through unchanged.

export interface AddressMapping {
  from: { base: number; prefixLength: number };
  to: { base: number; prefixLength: number };
}

function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function parseCidr(text: string): { base: number; prefixLength: number } {
  const [address, length] = text.split('/');
  const base = address === undefined ? undefined : parseIPv4(address);
  const prefixLength = Number(length);
  if (base === undefined || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new Error(`invalid IPv4 CIDR "${text}"`);
  }
  const size = 2 ** (32 - prefixLength);
  return { base: base - (base % size), prefixLength };
}

/** Parses "FROM_CIDR=TO_CIDR", e.g. "198.18.0.0/15=127.18.0.0/15". Both prefixes must have the same length. */
export function parseAddressMapping(text: string): AddressMapping {
  const [from, to, extra] = text.split('=');
  if (from === undefined || to === undefined || extra !== undefined) {
    throw new Error(`invalid address mapping "${text}": expected FROM_CIDR=TO_CIDR`);
  }
  const mapping = { from: parseCidr(from.trim()), to: parseCidr(to.trim()) };
  if (mapping.from.prefixLength !== mapping.to.prefixLength) {
    throw new Error(`invalid address mapping "${text}": both prefixes must have the same length`);
  }
  return mapping;
}

/** Maps an address inside the mapping's source prefix; any other address is returned unchanged. */
export function mapAddress(address: string, mappings: readonly AddressMapping[]): string {
  const value = parseIPv4(address);
  if (value === undefined) return address;
  for (const { from, to } of mappings) {
    const size = 2 ** (32 - from.prefixLength);
    if (value >= from.base && value < from.base + size) return formatIPv4(to.base + (value - from.base));
  }
  return address;
}
