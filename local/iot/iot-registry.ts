import { CaRegistry } from './ca-registry';
import { CertificateRegistry } from './certificate-registry';
import { RegistryStore, type EntityKind, type RowChange } from './registry-store';
import { accountKey, caCertificateKey, certificateKey, type RegistrySnapshot } from './registry-rows';
import { ThingRegistry } from './thing-registry';

/** Each snapshot table, the kind of its rows and how a row is keyed. */
const SNAPSHOT_TABLES = {
  certificates: { kind: 'certificate', key: (row: { certificateId: string }) => certificateKey(row.certificateId) },
  policies: { kind: 'policy', key: (row: { accountId: string; policyName: string }) => accountKey(row.accountId, row.policyName) },
  things: { kind: 'thing', key: (row: { accountId: string; thingName: string }) => accountKey(row.accountId, row.thingName) },
  thingTypes: {
    kind: 'thingType',
    key: (row: { accountId: string; thingTypeName: string }) => accountKey(row.accountId, row.thingTypeName),
  },
  billingGroups: {
    kind: 'billingGroup',
    key: (row: { accountId: string; billingGroupName: string }) => accountKey(row.accountId, row.billingGroupName),
  },
  caCertificates: {
    kind: 'caCertificate',
    key: (row: { accountId: string; certificateId: string }) => caCertificateKey(row.accountId, row.certificateId),
  },
  registrationCodes: { kind: 'registrationCode', key: (row: { accountId: string }) => row.accountId },
} as const satisfies Record<Exclude<keyof RegistrySnapshot, 'sequence'>, { kind: EntityKind; key: (row: never) => string }>;

type SnapshotTable = keyof typeof SNAPSHOT_TABLES;

/** The whole registry of the endpoint: one store of rows, read and changed by the registries of each concern. */
export class IotRegistry {
  readonly store = new RegistryStore();
  readonly certificates = new CertificateRegistry(this.store);
  readonly things = new ThingRegistry(this.certificates);
  readonly caCertificates = new CaRegistry(this.certificates);

  constructor(snapshot?: RegistrySnapshot) {
    if (snapshot) this.restore(snapshot);
  }

  snapshot(): RegistrySnapshot {
    const rows = (table: SnapshotTable) => [...this.store.table<never>(SNAPSHOT_TABLES[table].kind).values()];
    return {
      sequence: this.store.sequence,
      certificates: rows('certificates'),
      policies: rows('policies'),
      things: rows('things'),
      thingTypes: rows('thingTypes'),
      billingGroups: rows('billingGroups'),
      caCertificates: rows('caCertificates'),
      registrationCodes: rows('registrationCodes'),
    };
  }

  private restore(snapshot: RegistrySnapshot): void {
    const changes: RowChange[] = [];
    for (const table of Object.keys(SNAPSHOT_TABLES) as SnapshotTable[]) {
      const { kind, key } = SNAPSHOT_TABLES[table];
      for (const row of snapshot[table] ?? []) changes.push({ kind, key: (key as (row: unknown) => string)(row), value: row });
    }
    this.store.apply({ sequence: snapshot.sequence, changes });
  }
}
