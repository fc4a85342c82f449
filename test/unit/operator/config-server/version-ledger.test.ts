import { appliedByAll, VersionLedger } from '../../../../operator/config-server/version-ledger.js';

describe('VersionLedger', () => {
  it('orders publications and gives a republished version a new, later position', () => {
    const ledger = new VersionLedger();
    const a = ledger.publish('hash-a');
    const b = ledger.publish('hash-b');
    expect(b).toBeGreaterThan(a);
    const a2 = ledger.publish('hash-a');
    expect(a2).toBeGreaterThan(b);
    expect(ledger.seqOf('hash-a')).toBe(a2);
    expect(ledger.seqOf('unknown')).toBeUndefined();
  });

  it('forgets the oldest versions beyond its capacity', () => {
    const ledger = new VersionLedger(2);
    ledger.publish('v1');
    ledger.publish('v2');
    ledger.publish('v3');
    expect(ledger.seqOf('v1')).toBeUndefined();
    expect(ledger.seqOf('v3')).toBe(3);
  });
});

describe('appliedByAll', () => {
  it('needs every proxy at or past the publication, and at least the minimum number of proxies', () => {
    expect(appliedByAll([{ ackedSeq: 3 }, { ackedSeq: 4 }], 3, 1)).toBe(true);
    expect(appliedByAll([{ ackedSeq: 3 }, { ackedSeq: 2 }], 3, 1)).toBe(false);
    expect(appliedByAll([{ ackedSeq: 3 }, { ackedSeq: undefined }], 3, 1)).toBe(false);
    expect(appliedByAll([], 3, 1)).toBe(false);
    expect(appliedByAll([], 3, 0)).toBe(true);
    expect(appliedByAll([{ ackedSeq: 5 }], 3, 2)).toBe(false);
    expect(appliedByAll([{ ackedSeq: 5 }], undefined, 1)).toBe(false);
  });
});
