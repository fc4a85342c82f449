// Where a client sends a request for a Service, as kube-proxy would decide it: the ready
// endpoints of the Service's EndpointSlices on the port named like the Service's port. In
// the playground pods have addresses from 198.18.0.0/15 that are mapped 1:1 onto loopback,
// where their processes listen (operator/address-map.ts), so each address is mapped the same
// way. Pure.
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { mapAddress, type AddressMapping } from '../operator/address-map.js';

export interface Endpoint {
  address: string;
  port: number;
}

export function serviceEndpoints(slices: readonly V1EndpointSlice[], portName: string, mappings: readonly AddressMapping[]): Endpoint[] {
  const found = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const port = slice.ports?.find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints) {
      // A missing condition means ready (discovery.k8s.io/v1); terminating endpoints get no new requests.
      if (endpoint.conditions?.ready === false) continue;
      const address = endpoint.addresses[0];
      if (address === undefined) continue;
      const mapped = mapAddress(address, mappings);
      found.set(`${mapped}:${port}`, { address: mapped, port });
    }
  }
  return [...found.values()].sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
}
