import { AsyncLocalStorage } from 'node:async_hooks';

interface Task {
  readonly id: number;
  readonly name: string;
}

interface Waiter {
  readonly task: Task;
  readonly release: () => void;
}

/**
 * Runs several invocations at once on one thread, and decides by seed who goes next. Every
 * DynamoDB call made inside a task waits at a gate; once every running task waits there (or has
 * finished), the local cloud chooses — with its seeded random — to release one waiting call or to
 * start another invocation. Two invocations of one participant can so read the same item before
 * either writes it, as on AWS, and a seed replays the very same interleaving.
 *
 * Waiting for "every task at the gate" (rather than for a tick) is what keeps it deterministic:
 * a task that awaits something else (a webhook over loopback, a timer) is waited for, so the
 * order of arrivals never matters, only the seeded choice among the waiters, kept in task order.
 */
export class Interleaver {
  private readonly storage = new AsyncLocalStorage<Task>();
  private readonly running = new Map<number, Task>();
  private readonly perName = new Map<string, number>();
  private waiters: Waiter[] = [];
  private nextId = 0;
  private wake: (() => void) | undefined;
  private finishedSinceLook = 0;

  /** Tasks started and not finished. */
  get size(): number {
    return this.running.size;
  }

  /** Running tasks of one name (a consumer's invocations in flight). */
  runningOf(name: string): number {
    return this.perName.get(name) ?? 0;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Starts `run` as a task; it runs until its first gated call (or to its end). */
  start(name: string, run: () => Promise<void>): void {
    const task: Task = { id: this.nextId++, name };
    this.running.set(task.id, task);
    this.perName.set(name, this.runningOf(name) + 1);
    void this.storage
      .run(task, run)
      .catch(() => undefined) // the caller's `run` handles its own errors; a stray one must not stall the scheduler
      .finally(() => {
        this.running.delete(task.id);
        this.perName.set(name, this.runningOf(name) - 1);
        this.finishedSinceLook++;
        this.notify();
      });
  }

  /**
   * The gate, called before each DynamoDB operation: inside a task it waits for the scheduler's
   * release; outside any task (the test, the relay, a scheduled reconciler) it lets the call through.
   */
  readonly gate = (): Promise<void> | undefined => {
    const task = this.storage.getStore();
    if (!task || !this.running.has(task.id)) return undefined;
    return new Promise<void>((release) => {
      this.waiters.push({ task, release });
      this.notify();
    });
  };

  /** Waits until every running task is at the gate or done; returns how many finished meanwhile. */
  async settle(): Promise<number> {
    while (this.running.size > 0 && this.blockedTasks() < this.running.size) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const finished = this.finishedSinceLook;
    this.finishedSinceLook = 0;
    return finished;
  }

  /** Lets the `index`-th waiting call (in task order) proceed. */
  release(index: number): void {
    this.waiters.sort((a, b) => a.task.id - b.task.id);
    const [waiter] = this.waiters.splice(index, 1);
    waiter?.release();
  }

  /**
   * Lets every waiting call proceed, in the order `order` gives (a seeded shuffle of task order):
   * one round in which each running invocation takes one step. Resolution order decides who runs
   * first, and it is the same for the same seed.
   */
  releaseAll(order: <T>(items: T[]) => T[]): void {
    const waiters = order(this.waiters.sort((a, b) => a.task.id - b.task.id));
    this.waiters = [];
    for (const waiter of waiters) waiter.release();
  }

  private blockedTasks(): number {
    if (this.waiters.length <= 1) return this.waiters.length;
    return new Set(this.waiters.map((w) => w.task.id)).size;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
