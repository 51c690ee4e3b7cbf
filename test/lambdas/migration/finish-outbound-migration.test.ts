import type { LandedCertificate, MigrationBatchLanded } from '../../../lambdas/cross-account/migration-messages';
import type { CertificateOutcome } from '../../../lambdas/migration/certificate-outcome';
import { finishOutboundMigration, type FinishOutboundRequest } from '../../../lambdas/migration/finish-outbound-migration';
import { exchangeKeys } from '../../../lambdas/cross-account/exchange-objects';
import { landingReportKey, runFiles } from '../../../lambdas/migration/migration-objects';
import type { MigrationReportRow } from '../../../lambdas/migration/migration-report';
import type { OfferedCertificate, OfferSheet } from '../../../lambdas/migration/offer-sheet';
import type { CertificateToMove } from '../../../lambdas/migration/plan-outbound-migration';
import {
  certificateArnOf,
  certificateIdOf,
  InMemoryMigrationObjects,
  MIGRATION_ID,
  RUN_NAME,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
  writeMapRunResults,
} from './migration-fixtures';

const files = runFiles(MIGRATION_ID, RUN_NAME);
const DEACTIVATED_AT = '2026-12-01T10:00:00.000Z';

function toMove(n: number, status = 'ACTIVE'): CertificateToMove {
  return {
    certificateId: certificateIdOf(n),
    certificateArn: certificateArnOf(certificateIdOf(n)),
    status,
    policies: ['sensor-policy'],
    position: n - 1,
  };
}

function offered(n: number, change: Partial<OfferedCertificate> = {}): OfferedCertificate {
  return {
    certificateId: certificateIdOf(n),
    outcome: 'OFFERED',
    previousStatus: 'ACTIVE',
    policies: ['sensor-policy'],
    things: [],
    deactivatedAt: DEACTIVATED_AT,
    transferredAt: '2026-12-01T10:00:01.000Z',
    errorName: null,
    errorMessage: null,
    ...change,
  };
}

/** Landed `seconds` after DEACTIVATED_AT. */
function landed(n: number, seconds: number, change: Partial<LandedCertificate> = {}): LandedCertificate {
  return {
    certificateId: certificateIdOf(n),
    outcome: 'LANDED',
    setAsActive: true,
    acceptedAt: new Date(Date.parse(DEACTIVATED_AT) + (seconds - 1) * 1000).toISOString(),
    landedAt: new Date(Date.parse(DEACTIVATED_AT) + seconds * 1000).toISOString(),
    policies: ['eu-sensor-policy'],
    things: ['door-1'],
    errorName: null,
    errorMessage: null,
    ...change,
  };
}

async function writeLanding(objects: InMemoryMigrationObjects, batch: number, certificates: LandedCertificate[]): Promise<void> {
  const report: MigrationBatchLanded = {
    migrationId: MIGRATION_ID,
    runName: RUN_NAME,
    sourceAwsAccount: SOURCE_ACCOUNT,
    targetAwsAccount: TARGET_ACCOUNT,
    sentAt: '2026-12-01T10:05:00.000Z',
    batch,
    certificates,
  };
  await objects.writeJson(landingReportKey(MIGRATION_ID, RUN_NAME, batch), report);
}

async function runFilesWith(
  objects: InMemoryMigrationObjects,
  items: CertificateToMove[],
  settled: CertificateOutcome[] = [],
): Promise<void> {
  await objects.writeJson(files.transferItems, items);
  await objects.writeJson(files.plannedOutcomes, settled);
}

function requestOf(resultsManifestKey: string | null, change: Partial<FinishOutboundRequest> = {}): FinishOutboundRequest {
  return {
    migrationId: MIGRATION_ID,
    runName: RUN_NAME,
    settledKey: files.plannedOutcomes,
    itemsKey: files.transferItems,
    resultsManifestKey,
    batchCount: 2,
    unprocessedOutcome: 'TARGET_REJECTED',
    ...change,
  };
}

const rowsOf = (objects: InMemoryMigrationObjects) => objects.json(files.outcomes) as MigrationReportRow[];

describe('finishOutboundMigration', () => {
  it('reports a run whose cutover map failed from the offer sheets, and what no batch touched as FAILED with the map error', async () => {
    const objects = new InMemoryMigrationObjects();
    await runFilesWith(objects, [toMove(1), toMove(2), toMove(3)]);
    const sheet: OfferSheet = { migrationId: MIGRATION_ID, runName: RUN_NAME, batch: 0, certificates: [offered(1), offered(2)] };
    await objects.writeJson(exchangeKeys.offerSheet(MIGRATION_ID, RUN_NAME, 0), sheet);
    await writeLanding(objects, 0, [landed(1, 4)]);

    const finished = await finishOutboundMigration(
      { objects },
      requestOf(null, { cutoverFailure: { error: 'States.ExceedToleratedFailureThreshold', cause: 'too many batches failed' } }),
    );

    expect(rowsOf(objects).map((row) => [row.certificateId, row.outcome, row.errorName, row.downtimeSeconds])).toEqual([
      [certificateIdOf(1), 'LANDED', undefined, 4],
      [certificateIdOf(2), 'PENDING', undefined, undefined],
      [certificateIdOf(3), 'FAILED', 'States.ExceedToleratedFailureThreshold', undefined],
    ]);
    expect(rowsOf(objects)[2]?.errorMessage).toBe(
      "the cutover failed before this certificate's batch started, so nothing changed: too many batches failed",
    );
    expect(finished.counts).toEqual({ LANDED: 1, PENDING: 1, FAILED: 1 });
  });

  it('reports a landed ACTIVE certificate with its downtime, from its deactivation here to its landing there', async () => {
    const objects = new InMemoryMigrationObjects();
    await runFilesWith(objects, [toMove(1)]);
    const manifest = await writeMapRunResults(objects, files.mapResults, { succeeded: [[offered(1)]] });
    await writeLanding(objects, 0, [landed(1, 12.5)]);

    const finished = await finishOutboundMigration({ objects }, requestOf(manifest, { batchCount: 1 }));

    expect(rowsOf(objects)).toEqual([
      {
        certificateId: certificateIdOf(1),
        outcome: 'LANDED',
        sourceOutcome: 'OFFERED',
        targetOutcome: 'LANDED',
        previousStatus: 'ACTIVE',
        landedPolicies: ['eu-sensor-policy'],
        landedThings: ['door-1'],
        downtimeSeconds: 12.5,
      },
    ]);
    expect(finished).toEqual({
      outcomesKey: files.outcomes,
      counts: { LANDED: 1 },
      downtimeSeconds: { count: 1, p50: 12.5, p99: 12.5, max: 12.5 },
    });
  });

  it('measures no downtime for a certificate not accepted ACTIVE, or never deactivated here', async () => {
    const objects = new InMemoryMigrationObjects();
    await runFilesWith(objects, [toMove(1), toMove(2, 'INACTIVE')]);
    const manifest = await writeMapRunResults(objects, files.mapResults, {
      succeeded: [[offered(1), offered(2, { previousStatus: 'INACTIVE', deactivatedAt: null })]],
    });
    await writeLanding(objects, 0, [landed(1, 5, { setAsActive: false }), landed(2, 5, { setAsActive: false })]);

    const finished = await finishOutboundMigration({ objects }, requestOf(manifest, { batchCount: 1 }));

    expect(rowsOf(objects).map((row) => [row.outcome, row.downtimeSeconds])).toEqual([
      ['LANDED', undefined],
      ['LANDED', undefined],
    ]);
    expect(finished.downtimeSeconds).toBeNull();
  });

  it('reports LANDING_FAILED with the target error, PENDING for an offer not reported, FAILED for what the cutover failed', async () => {
    const objects = new InMemoryMigrationObjects();
    await runFilesWith(objects, [toMove(1), toMove(2), toMove(3), toMove(4)]);
    const manifest = await writeMapRunResults(objects, files.mapResults, {
      succeeded: [
        [
          offered(1),
          offered(2),
          offered(3, { outcome: 'FAILED', errorName: 'ServiceUnavailableException', errorMessage: 'try again', transferredAt: null }),
          offered(4, { outcome: 'PENDING', transferredAt: null }),
        ],
      ],
    });
    await writeLanding(objects, 0, [
      landed(1, 3, { outcome: 'LANDING_FAILED', landedAt: null, errorName: 'ResourceNotFoundException', errorMessage: 'no policy' }),
    ]);

    const finished = await finishOutboundMigration({ objects }, requestOf(manifest));

    expect(rowsOf(objects)).toEqual([
      expect.objectContaining({
        certificateId: certificateIdOf(1),
        outcome: 'LANDING_FAILED',
        targetOutcome: 'LANDING_FAILED',
        errorName: 'ResourceNotFoundException',
        errorMessage: 'no policy',
      }),
      {
        certificateId: certificateIdOf(2),
        outcome: 'PENDING',
        sourceOutcome: 'OFFERED',
        previousStatus: 'ACTIVE',
        errorMessage: 'offered; the target has not reported its landing',
      },
      expect.objectContaining({ certificateId: certificateIdOf(3), outcome: 'FAILED', errorName: 'ServiceUnavailableException' }),
      expect.objectContaining({
        certificateId: certificateIdOf(4),
        outcome: 'FAILED',
        sourceOutcome: 'PENDING',
        errorName: 'NotProcessed',
      }),
    ]);
    expect(rowsOf(objects)[0]).not.toHaveProperty('downtimeSeconds');
    expect(finished.counts).toEqual({ LANDING_FAILED: 1, PENDING: 1, FAILED: 2 });
  });

  it('reports every certificate of a failed batch FAILED with the batch error, and one the map never reported as NotProcessed', async () => {
    const objects = new InMemoryMigrationObjects();
    await runFilesWith(objects, [toMove(1), toMove(2), toMove(3)]);
    const manifest = await writeMapRunResults(objects, files.mapResults, {
      failed: [{ items: [toMove(1), toMove(2)], error: 'States.Timeout', cause: 'the batch ran too long' }],
    });

    await finishOutboundMigration({ objects }, requestOf(manifest));

    expect(rowsOf(objects).map((row) => [row.outcome, row.errorName, row.errorMessage])).toEqual([
      ['FAILED', 'States.Timeout', 'the batch failed: the batch ran too long'],
      ['FAILED', 'States.Timeout', 'the batch failed: the batch ran too long'],
      ['FAILED', 'NotProcessed', 'the cutover map did not report this certificate'],
    ]);
  });

  it.each(['TARGET_REJECTED', 'NOT_APPROVED'] as const)(
    'reports every certificate to move as %s when the map did not run, after the ones the plan settled',
    async (unprocessedOutcome) => {
      const objects = new InMemoryMigrationObjects();
      await runFilesWith(
        objects,
        [toMove(1), toMove(2, 'INACTIVE')],
        [
          { certificateId: certificateIdOf(8), outcome: 'ALREADY_TRANSFERRED' },
          { certificateId: certificateIdOf(9), outcome: 'ALREADY_OFFERED', previousStatus: 'PENDING_TRANSFER' },
          {
            certificateId: certificateIdOf(10),
            outcome: 'FAILED',
            errorName: 'CertificateNotFound',
            errorMessage: 'the certificate is not in this account',
          },
        ],
      );

      const finished = await finishOutboundMigration({ objects }, requestOf(null, { unprocessedOutcome }));

      expect(rowsOf(objects)).toEqual([
        { certificateId: certificateIdOf(8), outcome: 'ALREADY_TRANSFERRED', sourceOutcome: 'ALREADY_TRANSFERRED' },
        { certificateId: certificateIdOf(9), outcome: 'PENDING', sourceOutcome: 'ALREADY_OFFERED', previousStatus: 'PENDING_TRANSFER' },
        {
          certificateId: certificateIdOf(10),
          outcome: 'FAILED',
          sourceOutcome: 'FAILED',
          errorName: 'CertificateNotFound',
          errorMessage: 'the certificate is not in this account',
        },
        { certificateId: certificateIdOf(1), outcome: unprocessedOutcome, sourceOutcome: unprocessedOutcome, previousStatus: 'ACTIVE' },
        { certificateId: certificateIdOf(2), outcome: unprocessedOutcome, sourceOutcome: unprocessedOutcome, previousStatus: 'INACTIVE' },
      ]);
      expect(finished.counts).toEqual({ ALREADY_TRANSFERRED: 1, PENDING: 1, FAILED: 1, [unprocessedOutcome]: 2 });
      expect(finished.downtimeSeconds).toBeNull();
    },
  );

  it('gives the median, 99th percentile and longest downtime over the landed ACTIVE certificates of every batch', async () => {
    const objects = new InMemoryMigrationObjects();
    const numbers = Array.from({ length: 200 }, (_, index) => index + 1);
    await runFilesWith(
      objects,
      numbers.map((n) => toMove(n)),
    );
    const manifest = await writeMapRunResults(objects, files.mapResults, {
      succeeded: [numbers.slice(0, 100).map((n) => offered(n)), numbers.slice(100).map((n) => offered(n))],
    });
    // Downtimes 1..200 s, in no order, across two landing reports.
    await writeLanding(
      objects,
      0,
      numbers.slice(0, 100).map((n) => landed(n, 201 - n)),
    );
    await writeLanding(
      objects,
      1,
      numbers.slice(100).map((n) => landed(n, 201 - n)),
    );

    const finished = await finishOutboundMigration({ objects }, requestOf(manifest, { batchCount: 2 }));

    expect(finished.downtimeSeconds).toEqual({ count: 200, p50: 100, p99: 198, max: 200 });
    expect(finished.counts).toEqual({ LANDED: 200 });
  });

  it('reads no downtime below zero when the clocks of the two accounts disagree', async () => {
    const objects = new InMemoryMigrationObjects();
    await runFilesWith(objects, [toMove(1)]);
    const manifest = await writeMapRunResults(objects, files.mapResults, { succeeded: [[offered(1)]] });
    await writeLanding(objects, 0, [landed(1, -2)]);
    const finished = await finishOutboundMigration({ objects }, requestOf(manifest, { batchCount: 1 }));
    expect(finished.downtimeSeconds).toEqual({ count: 1, p50: 0, p99: 0, max: 0 });
  });
});
