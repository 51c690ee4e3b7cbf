import { measurePersistenceCost } from './journal-cost';

describe('the cost of keeping a change durable', () => {
  it('does not grow with the number of certificates, unlike rewriting the whole snapshot', () => {
    const small = measurePersistenceCost(1_000);
    const large = measurePersistenceCost(10_000);
    // Tenfold the certificates: the snapshot costs several times more, the journal about the same.
    expect(large.snapshotMsPerMutation).toBeGreaterThan(3 * small.snapshotMsPerMutation);
    expect(large.journalMsPerMutation).toBeLessThan(Math.max(3 * small.journalMsPerMutation, 0.5));
  });
});
