/** What the index needs of a message: when it becomes visible. */
interface Timed {
  readonly visibleAt: number;
}

interface Slot<T> {
  readonly seq: number;
  readonly item: T;
  /** In `ready` (visible when last looked at), else waiting in the heap. */
  ready: boolean;
  /** `visibleAt` of the slot's live heap entry; an entry with another time is stale. */
  heapAt: number | undefined;
}

/**
 * A queue's messages by visibility, so that "the oldest visible messages" costs what it returns,
 * not the queue's depth: visible ones in send order (`seq`), the others in a min-heap by
 * `visibleAt`, moved over as the clock passes them. A stalled consumer's queue holds thousands of
 * messages in flight ahead of the visible ones; scanning past them on every scheduling step was
 * 5 % of a 2,000-saga simulation's CPU.
 *
 * The owner reports every change of an item's `visibleAt` ({@link moved}); heap entries made stale
 * by a change or a removal are dropped when they surface.
 */
export class VisibilityIndex<T extends Timed> {
  private readonly slots = new Map<number, Slot<T>>();
  /** Slots believed visible, by `seq`. */
  private readonly ready: Slot<T>[] = [];
  private readonly heap: { readonly at: number; readonly slot: Slot<T> }[] = [];

  add(seq: number, item: T): void {
    const slot: Slot<T> = { seq, item, ready: false, heapAt: undefined };
    this.slots.set(seq, slot);
    this.pushHeap(slot);
  }

  remove(seq: number): void {
    const slot = this.slots.get(seq);
    if (!slot) return;
    this.slots.delete(seq);
    if (slot.ready) this.unready(slot);
    slot.heapAt = undefined;
  }

  /** The item's `visibleAt` changed: it waits in the heap until the clock reaches it. */
  moved(seq: number): void {
    const slot = this.slots.get(seq);
    if (!slot) return;
    if (slot.ready) this.unready(slot);
    this.pushHeap(slot);
  }

  /** The first `limit` items (by `seq`) visible at `now`. */
  visible(now: number, limit: number): T[] {
    this.refresh(now);
    const out: T[] = [];
    for (let i = 0; i < this.ready.length && out.length < limit; i++) {
      const slot = this.ready[i]!;
      if (slot.item.visibleAt <= now) {
        out.push(slot.item);
        continue;
      }
      // Only a clock that went back gets here: the item waits again.
      this.ready.splice(i--, 1);
      slot.ready = false;
      this.pushHeap(slot);
    }
    return out;
  }

  /** The earliest `visibleAt` of all items (a visible one's is in the past), or undefined when empty. */
  earliest(): number | undefined {
    let min: number | undefined;
    for (const slot of this.ready) if (min === undefined || slot.item.visibleAt < min) min = slot.item.visibleAt;
    const top = this.liveTop();
    if (top && (min === undefined || top.at < min)) min = top.at;
    return min;
  }

  private refresh(now: number): void {
    for (let top = this.liveTop(); top && top.at <= now; top = this.liveTop()) {
      this.popHeap();
      top.slot.heapAt = undefined;
      top.slot.ready = true;
      this.insertReady(top.slot);
    }
  }

  private unready(slot: Slot<T>): void {
    const i = this.indexInReady(slot.seq);
    if (this.ready[i] === slot) this.ready.splice(i, 1);
    slot.ready = false;
  }

  /** Position of `seq` in `ready`, or where it would go. */
  private indexInReady(seq: number): number {
    let lo = 0;
    let hi = this.ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ready[mid]!.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertReady(slot: Slot<T>): void {
    const last = this.ready[this.ready.length - 1];
    if (!last || last.seq < slot.seq) this.ready.push(slot);
    else this.ready.splice(this.indexInReady(slot.seq), 0, slot);
  }

  /** The heap's top once stale entries (removed items, changed times) are dropped. */
  private liveTop(): { readonly at: number; readonly slot: Slot<T> } | undefined {
    for (;;) {
      const top = this.heap[0];
      if (!top) return undefined;
      if (top.slot.heapAt === top.at && !top.slot.ready && this.slots.get(top.slot.seq) === top.slot) return top;
      this.popHeap();
    }
  }

  private pushHeap(slot: Slot<T>): void {
    const entry = { at: slot.item.visibleAt, slot };
    slot.heapAt = entry.at;
    const heap = this.heap;
    heap.push(entry);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >>> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private popHeap(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    heap[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}

/** Heap order: earlier time first, then send order (so equal times surface oldest first). */
function before(a: { at: number; slot: { seq: number } }, b: { at: number; slot: { seq: number } }): boolean {
  return a.at < b.at || (a.at === b.at && a.slot.seq < b.slot.seq);
}
