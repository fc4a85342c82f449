// Orders the opaque snapshot versions published for one namespace, so that "proxy P has
// applied version V or a later one" can be answered even though versions are strings (often
// content hashes, which have no order of their own, and which can repeat: weights 0 → 10 → 0
// bring back an earlier hash). Each publication gets the next sequence number; a version
// published again gets a new, higher one.

export class VersionLedger {
  private readonly seqByVersion = new Map<string, number>();
  private nextSeq = 1;

  constructor(private readonly capacity = 1024) {}

  /** Records a publication of `version` and returns its sequence number. */
  publish(version: string): number {
    const seq = this.nextSeq++;
    this.seqByVersion.delete(version);
    this.seqByVersion.set(version, seq);
    // Forget the oldest: a proxy still acking one of those is long out of date anyway.
    while (this.seqByVersion.size > this.capacity) {
      const oldest = this.seqByVersion.keys().next();
      if (oldest.done) break;
      this.seqByVersion.delete(oldest.value);
    }
    return seq;
  }

  /** Sequence number of the latest publication of `version`, if remembered. */
  seqOf(version: string): number | undefined {
    return this.seqByVersion.get(version);
  }
}

export interface AckPosition {
  /** Sequence number of the version the proxy last acknowledged, if known. */
  ackedSeq: number | undefined;
}

/**
 * True when at least `minProxies` proxies are connected and every one of them has acknowledged
 * the publication `seq` or a later one.
 */
export function appliedByAll(proxies: Iterable<AckPosition>, seq: number | undefined, minProxies: number): boolean {
  if (seq === undefined) return false;
  let count = 0;
  for (const proxy of proxies) {
    if (proxy.ackedSeq === undefined || proxy.ackedSeq < seq) return false;
    count++;
  }
  return count >= minProxies;
}
