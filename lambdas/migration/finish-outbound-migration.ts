import { exchangeKeys } from '../cross-account/exchange-objects';
import type { LandedCertificate, MigrationBatchLanded } from '../cross-account/migration-messages';
import type { CertificateOutcome } from './certificate-outcome';
import { landingReportKey, readJsonIfExists, readMapRunResults, runFiles, type MigrationObjects } from './migration-objects';
import type { MigrationOutcome, MigrationReportRow } from './migration-report';
import type { OfferedCertificate, OfferSheet } from './offer-sheet';
import type { CertificateToMove } from './plan-outbound-migration';

export interface FinishOutboundRequest {
  migrationId: string;
  runName: string;
  settledKey: string;
  itemsKey: string;
  /** The cutover map's ResultWriter manifest; null when the map did not run. */
  resultsManifestKey: string | null;
  batchCount: number;
  /** What the certificates are reported as when the map did not run. */
  unprocessedOutcome: Extract<MigrationOutcome, 'NOT_APPROVED' | 'TARGET_REJECTED'>;
  /**
   * Set when the cutover map itself failed (so it left no results): the report is read from
   * the offer sheets its batches wrote before they changed anything.
   */
  cutoverFailure?: { error: string; cause: string };
}

export interface DowntimeStats {
  /** ACTIVE certificates whose downtime was measured: from their deactivation here to their landing there. */
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface FinishedOutboundRun {
  outcomesKey: string;
  counts: Partial<Record<MigrationOutcome, number>>;
  downtimeSeconds: DowntimeStats | null;
}

/**
 * The run's report, both accounts taken together: every certificate's outcome from what
 * the plan settled, what the cutover did (the map's results) and what the target's
 * landing reports say, with each ACTIVE certificate's downtime.
 */
export async function finishOutboundMigration(
  deps: { objects: MigrationObjects },
  request: FinishOutboundRequest,
): Promise<FinishedOutboundRun> {
  const rows: MigrationReportRow[] = ((await deps.objects.readJson(request.settledKey)) as CertificateOutcome[]).map(settledRow);
  const items = (await deps.objects.readJson(request.itemsKey)) as CertificateToMove[];
  if (request.cutoverFailure) {
    rows.push(...(await rowsFromOfferSheets(deps.objects, request, items, request.cutoverFailure)));
  } else if (request.resultsManifestKey === null) {
    rows.push(
      ...items.map((item): MigrationReportRow => ({
        certificateId: item.certificateId,
        outcome: request.unprocessedOutcome,
        sourceOutcome: request.unprocessedOutcome,
        previousStatus: item.status,
      })),
    );
  } else {
    const { results, failedBatches } = await readMapRunResults<CertificateToMove, OfferedCertificate>(
      deps.objects,
      request.resultsManifestKey,
    );
    const landed = await landingReports(deps.objects, request);
    const offered = new Map(results.map((entry) => [entry.certificateId, entry]));
    const failedItems = new Map<string, { error: string; cause: string }>();
    for (const batch of failedBatches) for (const item of batch.items) failedItems.set(item.certificateId, batch);
    for (const item of items) {
      const entry = offered.get(item.certificateId);
      if (!entry) {
        const failure = failedItems.get(item.certificateId);
        rows.push({
          certificateId: item.certificateId,
          outcome: 'FAILED',
          sourceOutcome: 'FAILED',
          previousStatus: item.status,
          errorName: failure?.error ?? 'NotProcessed',
          errorMessage: failure ? `the batch failed: ${failure.cause}`.slice(0, 512) : 'the cutover map did not report this certificate',
        });
        continue;
      }
      rows.push(cutoverRow(entry, landed.get(item.certificateId)));
    }
  }
  const outcomesKey = runFiles(request.migrationId, request.runName).outcomes;
  await deps.objects.writeJson(outcomesKey, rows);
  const counts: Partial<Record<MigrationOutcome, number>> = {};
  for (const row of rows) counts[row.outcome] = (counts[row.outcome] ?? 0) + 1;
  return { outcomesKey, counts, downtimeSeconds: downtimeStats(rows) };
}

/** Every certificate the target has reported on, from its landing reports so far. */
async function landingReports(objects: MigrationObjects, request: FinishOutboundRequest): Promise<Map<string, LandedCertificate>> {
  const landed = new Map<string, LandedCertificate>();
  for (let batch = 0; batch < request.batchCount; batch += 1) {
    const report = (await readJsonIfExists(objects, landingReportKey(request.migrationId, request.runName, batch))) as
      MigrationBatchLanded | undefined;
    for (const certificate of report?.certificates ?? []) landed.set(certificate.certificateId, certificate);
  }
  return landed;
}

/**
 * The rows of a run whose cutover map failed: what each batch's offer sheet says it did
 * (a sheet is written before the batch changes anything), with the landings reported so
 * far; a certificate in no sheet was never touched.
 */
async function rowsFromOfferSheets(
  objects: MigrationObjects,
  request: FinishOutboundRequest,
  items: readonly CertificateToMove[],
  failure: { error: string; cause: string },
): Promise<MigrationReportRow[]> {
  const landed = await landingReports(objects, request);
  const offered = new Map<string, OfferedCertificate>();
  for (let batch = 0; batch < request.batchCount; batch += 1) {
    const sheet = (await readJsonIfExists(objects, exchangeKeys.offerSheet(request.migrationId, request.runName, batch))) as
      OfferSheet | undefined;
    for (const entry of sheet?.certificates ?? []) offered.set(entry.certificateId, entry);
  }
  return items.map((item): MigrationReportRow => {
    const entry = offered.get(item.certificateId);
    if (entry) return cutoverRow(entry, landed.get(item.certificateId));
    return {
      certificateId: item.certificateId,
      outcome: 'FAILED',
      sourceOutcome: 'FAILED',
      previousStatus: item.status,
      errorName: failure.error,
      errorMessage: `the cutover failed before this certificate's batch started, so nothing changed: ${failure.cause}`.slice(0, 512),
    };
  });
}

function settledRow(outcome: CertificateOutcome): MigrationReportRow {
  const base = { certificateId: outcome.certificateId, sourceOutcome: outcome.outcome, previousStatus: outcome.previousStatus };
  if (outcome.outcome === 'ALREADY_TRANSFERRED') return { ...base, outcome: 'ALREADY_TRANSFERRED' };
  if (outcome.outcome === 'ALREADY_OFFERED') return { ...base, outcome: 'PENDING' };
  return { ...base, outcome: 'FAILED', errorName: outcome.errorName, errorMessage: outcome.errorMessage };
}

function cutoverRow(entry: OfferedCertificate, landing: LandedCertificate | undefined): MigrationReportRow {
  const base = { certificateId: entry.certificateId, sourceOutcome: entry.outcome, previousStatus: entry.previousStatus };
  if (entry.outcome === 'FAILED' || entry.outcome === 'PENDING')
    return { ...base, outcome: 'FAILED', errorName: entry.errorName ?? 'NotProcessed', errorMessage: entry.errorMessage ?? undefined };
  if (!landing) return { ...base, outcome: 'PENDING', errorMessage: 'offered; the target has not reported its landing' };
  const row: MigrationReportRow = {
    ...base,
    targetOutcome: landing.outcome,
    outcome: landing.outcome === 'LANDED' ? 'LANDED' : landing.outcome === 'LANDING_FAILED' ? 'LANDING_FAILED' : 'FAILED',
    landedPolicies: landing.policies,
    landedThings: landing.things,
    ...(landing.errorName ? { errorName: landing.errorName } : {}),
    ...(landing.errorMessage ? { errorMessage: landing.errorMessage } : {}),
  };
  if (entry.deactivatedAt && landing.landedAt && landing.setAsActive)
    row.downtimeSeconds = Math.max(0, (Date.parse(landing.landedAt) - Date.parse(entry.deactivatedAt)) / 1000);
  return row;
}

function downtimeStats(rows: readonly MigrationReportRow[]): DowntimeStats | null {
  const seconds = rows.flatMap((row) => (row.downtimeSeconds === undefined ? [] : [row.downtimeSeconds])).sort((a, b) => a - b);
  if (seconds.length === 0) return null;
  const at = (share: number) => seconds[Math.min(seconds.length - 1, Math.ceil(share * seconds.length) - 1)] ?? 0;
  return { count: seconds.length, p50: at(0.5), p99: at(0.99), max: seconds[seconds.length - 1] ?? 0 };
}
