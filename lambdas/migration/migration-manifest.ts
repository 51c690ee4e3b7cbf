import { ValidationError, parseCertificateId, parseCertificateStatus, type CertificateStatus } from '../iot-api/field-rules';

/** Which certificates a migration moves: listed by id, or chosen by a selector. */
export type MigrationManifest =
  { kind: 'list'; certificateIds: string[] } | { kind: 'selector'; status?: CertificateStatus; caCertificateId?: string };

export interface ManifestProblem {
  /** 1-based line of a CSV manifest, or 1-based position in a JSON list. */
  line: number;
  value: string;
  rule: string;
}

export interface ParsedManifest {
  manifest: MigrationManifest;
  /** Ids listed more than once: each is moved once. */
  duplicates: string[];
}

/** The manifest has entries that are not certificate ids; every one is named, so nothing is silently dropped. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';

  constructor(readonly problems: ManifestProblem[]) {
    super(
      `the manifest has ${problems.length} invalid ${problems.length === 1 ? 'entry' : 'entries'}: ${problems
        .slice(0, 5)
        .map((problem) => `line ${problem.line} (${problem.value.slice(0, 20)}): ${problem.rule}`)
        .join('; ')}${problems.length > 5 ? '; ...' : ''}`,
    );
  }
}

export const MANIFEST_MAX_CERTIFICATES = 100_000;

function listOf(entries: Array<{ line: number; value: string }>): ParsedManifest {
  const problems: ManifestProblem[] = [];
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const certificateIds: string[] = [];
  for (const { line, value } of entries) {
    try {
      const id = parseCertificateId(value).toLowerCase();
      if (seen.has(id)) duplicates.add(id);
      else {
        seen.add(id);
        certificateIds.push(id);
      }
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problems.push({ line, value, rule: error.rule });
    }
  }
  if (problems.length > 0) throw new ManifestError(problems);
  if (certificateIds.length === 0) throw new ValidationError('manifest', 'must list at least one certificate id');
  if (certificateIds.length > MANIFEST_MAX_CERTIFICATES)
    throw new ValidationError('manifest', `must list at most ${MANIFEST_MAX_CERTIFICATES} certificates (got ${certificateIds.length})`);
  return { manifest: { kind: 'list', certificateIds }, duplicates: [...duplicates] };
}

/**
 * A CSV manifest: one certificate id per line, or a `certificateId` column among others
 * (the header names it). Blank lines and lines starting with `#` are skipped.
 */
export function parseCsvManifest(text: string): ParsedManifest {
  const lines = text
    .split(/\r?\n/)
    .map((raw, index) => ({ line: index + 1, cells: raw.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1')) }));
  const content = lines.filter(({ cells }) => cells.join('').length > 0 && !(cells[0] ?? '').startsWith('#'));
  const header = content[0];
  const column = header ? header.cells.findIndex((cell) => cell.toLowerCase() === 'certificateid') : -1;
  const rows = column >= 0 ? content.slice(1) : content;
  return listOf(rows.map(({ line, cells }) => ({ line, value: cells[Math.max(column, 0)] ?? '' })));
}

/** A JSON manifest: a list of ids, `{"certificateIds": [...]}`, or a selector `{"selector": {"status", "caCertificateId"}}`. */
export function parseJsonManifest(text: string): ParsedManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('manifest', 'must be valid JSON');
  }
  const ids = Array.isArray(value) ? value : (value as { certificateIds?: unknown } | null)?.certificateIds;
  if (Array.isArray(ids))
    return listOf(ids.map((id, index) => ({ line: index + 1, value: typeof id === 'string' ? id : JSON.stringify(id) })));
  const selector = (value as { selector?: unknown } | null)?.selector;
  if (typeof selector !== 'object' || selector === null) {
    throw new ValidationError('manifest', 'must be a list of certificate ids, {"certificateIds": [...]} or {"selector": {...}}');
  }
  const { status, caCertificateId } = selector as { status?: unknown; caCertificateId?: unknown };
  if (status === undefined && caCertificateId === undefined)
    throw new ValidationError('selector', 'must name a status, a caCertificateId, or both');
  return {
    manifest: {
      kind: 'selector',
      status: status === undefined ? undefined : parseCertificateStatus(status, 'selector.status'),
      caCertificateId: caCertificateId === undefined ? undefined : parseCertificateId(caCertificateId, 'selector.caCertificateId'),
    },
    duplicates: [],
  };
}
