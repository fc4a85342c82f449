import type { V1EndpointSlice } from '@kubernetes/client-node';
import { parseAddressMapping } from '../../../operator/address-map.js';
import { serviceEndpoints } from '../../../playground/service-endpoints.js';

const mappings = [parseAddressMapping('198.18.0.0/15=127.18.0.0/15')];

function slice(name: string, ports: { name?: string; port: number }[], endpoints: { ip: string; ready?: boolean }[], addressType = 'IPv4'): V1EndpointSlice {
  return {
    metadata: { name },
    addressType,
    ports,
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }) })),
  };
}

describe('serviceEndpoints', () => {
  it('maps ready endpoints onto loopback, on the port named like the Service port', () => {
    const slices = [slice('demo-a', [{ name: 'http', port: 15100 }, { name: 'admin', port: 15020 }], [{ ip: '198.18.0.5' }, { ip: '198.18.0.4', ready: true }])];
    expect(serviceEndpoints(slices, 'http', mappings)).toEqual([
      { address: '127.18.0.4', port: 15100 },
      { address: '127.18.0.5', port: 15100 },
    ]);
  });

  it.each<[string, V1EndpointSlice[]]>([
    ['skips endpoints that are not ready', [slice('a', [{ name: 'http', port: 80 }], [{ ip: '198.18.0.1', ready: false }])]],
    ['skips slices without the port', [slice('a', [{ name: 'grpc', port: 80 }], [{ ip: '198.18.0.1' }])]],
    ['skips IPv6 slices', [slice('a', [{ name: 'http', port: 80 }], [{ ip: 'fd00::1' }], 'IPv6')]],
    ['has none without slices', []],
  ])('%s', (_name, slices) => {
    expect(serviceEndpoints(slices, 'http', mappings)).toEqual([]);
  });

  it('counts an endpoint listed by two slices once, and an unnamed port matches an unnamed Service port', () => {
    const slices = [slice('a', [{ port: 8080 }], [{ ip: '198.18.0.1' }]), slice('b', [{ port: 8080 }], [{ ip: '198.18.0.1' }, { ip: '10.0.0.7' }])];
    expect(serviceEndpoints(slices, '', mappings)).toEqual([
      { address: '10.0.0.7', port: 8080 },
      { address: '127.18.0.1', port: 8080 },
    ]);
  });
});
