/**
 * What a parser remembers only to recognise something again near where it saw it (a record
 * repeated by a resume, the next line of a response, the result of a call): a window of the most
 * recent entries, the oldest forgotten beyond `cap`. So a parser, and the snapshot of it that
 * `awl import` keeps between runs, stay bounded on a transcript of any length. The windows are
 * the parser's own state, not a trimmed copy of it: a parse restored from a snapshot forgets
 * exactly what a parse straight through forgets.
 */

/** Insertion order; adding a member again does not make it newer. */
export class RecentSet {
  private readonly s: Set<string>;

  constructor(
    readonly cap: number,
    items: Iterable<string> = [],
  ) {
    this.s = new Set();
    for (const k of items) this.add(k);
  }

  has(k: string): boolean {
    return this.s.has(k);
  }

  add(k: string): void {
    if (this.s.has(k)) return;
    this.s.add(k);
    if (this.s.size > this.cap) this.s.delete(this.s.values().next().value!);
  }

  clear(): void {
    this.s.clear();
  }

  get size(): number {
    return this.s.size;
  }

  /** Oldest first, as a snapshot stores them. */
  toJSON(): string[] {
    return [...this.s];
  }
}

/** Insertion order; setting a key again replaces its value where it stands (a Map's rule). */
export class RecentMap<V> {
  private readonly m: Map<string, V>;

  constructor(
    readonly cap: number,
    entries: Iterable<readonly [string, V]> = [],
  ) {
    this.m = new Map();
    for (const [k, v] of entries) this.set(k, v);
  }

  get(k: string): V | undefined {
    return this.m.get(k);
  }

  has(k: string): boolean {
    return this.m.has(k);
  }

  set(k: string, v: V): void {
    if (this.m.has(k)) {
      this.m.set(k, v);
      return;
    }
    this.m.set(k, v);
    if (this.m.size > this.cap) this.m.delete(this.m.keys().next().value!);
  }

  delete(k: string): boolean {
    return this.m.delete(k);
  }

  clear(): void {
    this.m.clear();
  }

  get size(): number {
    return this.m.size;
  }

  entries(): IterableIterator<[string, V]> {
    return this.m.entries();
  }

  /** Oldest first, as a snapshot stores them. */
  toJSON(): [string, V][] {
    return [...this.m];
  }
}

/**
 * Tool calls by id: those still waiting for their result, and the most recently answered (a
 * result repeated by a second record of the same call still finds its name). A call waiting
 * long (a sub-agent's Task) is not pushed out by the many calls answered meanwhile.
 */
export class CallMemory<V> {
  readonly pending: RecentMap<V>;
  readonly answered: RecentMap<V>;

  constructor(pendingCap: number, answeredCap: number, state?: { pending: Iterable<readonly [string, V]>; answered: Iterable<readonly [string, V]> }) {
    this.pending = new RecentMap(pendingCap, state?.pending);
    this.answered = new RecentMap(answeredCap, state?.answered);
  }

  get(id: string): V | undefined {
    return this.pending.get(id) ?? this.answered.get(id);
  }

  /** A call (again): it waits for its result. */
  open(id: string, v: V): void {
    this.answered.delete(id);
    this.pending.set(id, v);
  }

  /** Its result came: kept among the answered. */
  answer(id: string): void {
    const v = this.pending.get(id);
    if (v === undefined) return;
    this.pending.delete(id);
    this.answered.set(id, v);
  }

  clear(): void {
    this.pending.clear();
    this.answered.clear();
  }

  toJSON(): { pending: [string, V][]; answered: [string, V][] } {
    return { pending: this.pending.toJSON(), answered: this.answered.toJSON() };
  }
}
