import { LineDecoder, LineTooLongError } from '../../../../operator/config-server/line-decoder.js';

describe('LineDecoder', () => {
  it('returns complete lines and buffers the rest across chunks', () => {
    const d = new LineDecoder(1024);
    expect(d.push(Buffer.from('{"a":1}\n{"b"'))).toEqual(['{"a":1}']);
    expect(d.push(Buffer.from(':2}'))).toEqual([]);
    expect(d.push(Buffer.from('\n\n{"c":3}\r\n'))).toEqual(['{"b":2}', '{"c":3}']);
  });

  it('reassembles a multi-byte character split between chunks', () => {
    const bytes = Buffer.from('"grüße"\n');
    const d = new LineDecoder(1024);
    const splitAt = bytes.indexOf(0xc3) + 1;
    expect(d.push(bytes.subarray(0, splitAt))).toEqual([]);
    expect(d.push(bytes.subarray(splitAt))).toEqual(['"grüße"']);
  });

  it('refuses a line over the limit, whether or not it has ended yet', () => {
    expect(() => new LineDecoder(8).push(Buffer.from('0123456789\n'))).toThrow(LineTooLongError);
    const d = new LineDecoder(8);
    d.push(Buffer.from('01234'));
    expect(() => d.push(Buffer.from('56789'))).toThrow(/longer than 8 bytes/);
  });
});
