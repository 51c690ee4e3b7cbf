/**
 * The rows of the IoT registry, table by table, with a log of the rows each mutation
 * changed. The state journal writes that log as one line per request, so the cost of
 * keeping a change durable depends on the rows changed, not on the size of the registry.
 */

export const ENTITY_KINDS = ['certificate', 'policy', 'thing', 'thingType', 'billingGroup', 'caCertificate', 'registrationCode'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** One changed row: its new value, or no value when the row was deleted. */
export interface RowChange {
  kind: EntityKind;
  key: string;
  value?: unknown;
}

/** What one journal line holds: the rows a request changed and the creation counter after it. */
export interface ChangeSet {
  sequence: number;
  changes: RowChange[];
}

class ChangeLog {
  private readonly pending = new Map<string, { kind: EntityKind; key: string; read: () => unknown }>();

  record(kind: EntityKind, key: string, read: () => unknown): void {
    this.pending.set(`${kind}\u0000${key}`, { kind, key, read });
  }

  get size(): number {
    return this.pending.size;
  }

  /** The changes since the last drain, with the rows as they are now. */
  drain(): RowChange[] {
    const changes = [...this.pending.values()].map(({ kind, key, read }) => {
      const value = read();
      return value === undefined ? { kind, key } : { kind, key, value };
    });
    this.pending.clear();
    return changes;
  }
}

export class EntityTable<Row> {
  private readonly rows = new Map<string, Row>();

  constructor(
    readonly kind: EntityKind,
    private readonly log: ChangeLog,
  ) {}

  get(key: string): Row | undefined {
    return this.rows.get(key);
  }

  values(): IterableIterator<Row> {
    return this.rows.values();
  }

  get size(): number {
    return this.rows.size;
  }

  put(key: string, row: Row): void {
    this.rows.set(key, row);
    this.changed(key);
  }

  delete(key: string): void {
    if (this.rows.delete(key)) this.changed(key);
  }

  /** Marks a row that was mutated in place as changed. */
  changed(key: string): void {
    this.log.record(this.kind, key, () => this.rows.get(key));
  }

  /** Restores a row from a snapshot or the journal, without logging it as a change. */
  restore(key: string, row: Row | undefined): void {
    if (row === undefined) this.rows.delete(key);
    else this.rows.set(key, row);
  }
}

export class RegistryStore {
  private readonly log = new ChangeLog();
  private readonly tables = new Map<EntityKind, EntityTable<unknown>>();
  /** Creation order of certificates, CA certificates and policies, for listing and markers. */
  private sequenceValue = 0;
  private sequenceChanged = false;
  /** Goes up with every change, so a caller can tell whether anything changed. */
  revision = 0;

  table<Row>(kind: EntityKind): EntityTable<Row> {
    let table = this.tables.get(kind);
    if (!table) {
      table = new EntityTable<unknown>(kind, this.log);
      this.tables.set(kind, table);
    }
    return table as EntityTable<Row>;
  }

  nextSequence(): number {
    this.sequenceValue += 1;
    this.sequenceChanged = true;
    return this.sequenceValue;
  }

  get sequence(): number {
    return this.sequenceValue;
  }

  /** True while changes are waiting to be drained. */
  get hasChanges(): boolean {
    return this.log.size > 0 || this.sequenceChanged;
  }

  /** The rows changed since the last call; undefined when nothing changed. */
  drainChanges(): ChangeSet | undefined {
    if (!this.hasChanges) return undefined;
    this.sequenceChanged = false;
    this.revision += 1;
    return { sequence: this.sequenceValue, changes: this.log.drain() };
  }

  /** Applies a journal line; applying the same lines again gives the same state. */
  apply(changeSet: ChangeSet): void {
    this.sequenceValue = Math.max(this.sequenceValue, changeSet.sequence);
    for (const change of changeSet.changes) this.table(change.kind).restore(change.key, change.value);
  }
}
