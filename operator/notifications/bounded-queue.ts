// A FIFO with a capacity that makes room by dropping its oldest item: when a destination is
// down for long, the newest news (Promoted, RolledBack) matters more than what it replaced.

export class DropOldestQueue<T> {
  private readonly items: T[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
  }

  get length(): number {
    return this.items.length;
  }

  /** Appends `item`; returns the item dropped to make room, if any. */
  push(item: T): T | undefined {
    const dropped = this.items.length >= this.capacity ? this.items.shift() : undefined;
    this.items.push(item);
    return dropped;
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    return this.items.splice(0, this.items.length);
  }
}
