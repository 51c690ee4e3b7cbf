import { ManifestError, parseCsvManifest, parseJsonManifest } from '../../../lambdas/migration/migration-manifest';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('migration manifests', () => {
  it('reads one id per line, skipping blank lines and comments, and moves a listed id once', () => {
    expect(parseCsvManifest(`# fleet 7\n${A}\n\n${B}\n${A.toUpperCase()}\n`)).toEqual({
      manifest: { kind: 'list', certificateIds: [A, B] },
      duplicates: [A],
    });
  });

  it('reads the certificateId column of a CSV with a header', () => {
    expect(parseCsvManifest(`thing,certificateId,site\nsensor-1,${A},berlin\nsensor-2,"${B}",paris\n`).manifest).toEqual({
      kind: 'list',
      certificateIds: [A, B],
    });
  });

  it('names every bad line with the rule it breaks, and accepts none of them', () => {
    let error: unknown;
    try {
      parseCsvManifest(`${A}\nnot-an-id\n${'c'.repeat(63)}\n`);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).problems).toEqual([
      { line: 2, value: 'not-an-id', rule: 'must be exactly 64 characters long (got 9)' },
      { line: 3, value: 'c'.repeat(63), rule: 'must be exactly 64 characters long (got 63)' },
    ]);
    expect((error as Error).message).toContain('line 2 (not-an-id): must be exactly 64 characters long (got 9)');
  });

  it('refuses an empty manifest', () => {
    expect(() => parseCsvManifest('# nothing\n\n')).toThrow('manifest: must list at least one certificate id');
  });

  it('reads a JSON list, an object with certificateIds, or a selector', () => {
    expect(parseJsonManifest(JSON.stringify([A, B])).manifest).toEqual({ kind: 'list', certificateIds: [A, B] });
    expect(parseJsonManifest(JSON.stringify({ certificateIds: [B] })).manifest).toEqual({ kind: 'list', certificateIds: [B] });
    expect(parseJsonManifest(JSON.stringify({ selector: { status: 'INACTIVE', caCertificateId: A } })).manifest).toEqual({
      kind: 'selector',
      status: 'INACTIVE',
      caCertificateId: A,
    });
  });

  it('refuses a selector that selects nothing or names an unknown status', () => {
    expect(() => parseJsonManifest('{"selector":{}}')).toThrow('selector: must name a status, a caCertificateId, or both');
    expect(() => parseJsonManifest('{"selector":{"status":"SLEEPING"}}')).toThrow('selector.status: must be one of');
    expect(() => parseJsonManifest('{')).toThrow('manifest: must be valid JSON');
  });
});
