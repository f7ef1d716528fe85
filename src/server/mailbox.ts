// The hand-off between a source that never waits and a consumer that may be slow: a bounded box
// that keeps the newest items. Putting into a full box evicts the oldest item through `onDrop`, so
// the producer is never blocked and the consumer always starts on the freshest data.

export class LatestMailbox<T> {
  private items: T[] = [];

  constructor(readonly capacity: number, private readonly onDrop: (item: T) => void) {
    if (!(capacity >= 1)) throw new RangeError('mailbox capacity must be >= 1');
  }

  get size(): number {
    return this.items.length;
  }

  /** Add the newest item, evicting the oldest ones beyond capacity. */
  put(item: T): void {
    this.items.push(item);
    while (this.items.length > this.capacity) this.onDrop(this.items.shift() as T);
  }

  /** Remove and return up to `max` items, oldest first. */
  take(max = Infinity): T[] {
    return this.items.splice(0, Math.min(max, this.items.length));
  }

  /** Evict everything through `onDrop`. */
  clear(): void {
    const all = this.items;
    this.items = [];
    for (const it of all) this.onDrop(it);
  }
}
