import { mapAddress, parseAddressMapping } from '../../../operator/address-map.js';

describe('endpoint address map', () => {
  const mappings = [parseAddressMapping('198.18.0.0/15=127.18.0.0/15')];

  it.each([
    ['198.18.0.7', '127.18.0.7'],
    ['198.19.255.254', '127.19.255.254'],
    ['198.20.0.1', '198.20.0.1'],
    ['10.0.0.1', '10.0.0.1'],
    ['fd00::1', 'fd00::1'],
  ])('maps %s to %s', (input, expected) => {
    expect(mapAddress(input, mappings)).toBe(expected);
  });

  it.each(['198.18.0.0/15', '198.18.0.0/15=127.0.0.0/8', '1.2.3/8=1.2.3.4/8', 'a=b=c', '198.18.0.0/33=127.0.0.0/33'])(
    'rejects %s',
    (text) => {
      expect(() => parseAddressMapping(text)).toThrow(/invalid/);
    },
  );
});
