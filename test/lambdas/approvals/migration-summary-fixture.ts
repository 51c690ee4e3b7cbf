import type { MigrationSummary } from '../../../lambdas/approvals/approval-request';

/** A migration of 10000 certificates of which some need preparing; `change` overrides any field. */
export function migrationSummary(change: Partial<MigrationSummary> = {}): MigrationSummary {
  return {
    migrationId: 'eu-fleet-2026_11',
    certificateCount: 10000,
    statusCounts: { ACTIVE: 3, INACTIVE: 9995, PENDING_TRANSFER: 2 },
    withPolicies: 5,
    withThings: 7,
    toDeactivate: 3,
    alreadyDone: 11,
    notTransferable: 2,
    sampleCertificateIds: ['1'.repeat(64), '2'.repeat(64), '3'.repeat(64), '4'.repeat(64), '5'.repeat(64), '6'.repeat(64)],
    ...change,
  };
}
