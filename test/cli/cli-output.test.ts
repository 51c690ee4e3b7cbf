import { keyValueLines, relativeTime, table, timeWithRelative } from '../../cli/cli-output';

describe('what the CLI shows a person', () => {
  it('aligns key/value lines, leaves out rows without a value and keeps a value of several lines under its first', () => {
    expect(
      keyValueLines([
        ['status', 'FAILED'],
        ['outcome', undefined],
        ['requested by', 'me'],
        ['cause', 'first\nsecond'],
      ]),
    ).toBe(['status        FAILED', 'requested by  me', 'cause         first', '              second'].join('\n'));
  });

  it('pads table columns to their widest cell but not the last, so long links stay whole', () => {
    expect(
      table(
        ['A', 'LONGER'],
        [
          ['xyz', 'v'],
          ['1', 'http://a/very/long/link'],
        ],
      ),
    ).toBe(['A    LONGER', 'xyz  v', '1    http://a/very/long/link'].join('\n'));
  });

  it.each([
    [90 * 60, 'in 1h 30m'],
    [-(3 * 86_400 + 5 * 3_600 + 7), '3d 5h ago'],
    [45, 'in 45s'],
    [-60, '1m ago'],
    [0, 'now'],
  ])('says how far %d s from now is: %s', (seconds, expected) => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(relativeTime(new Date(now.getTime() + seconds * 1000), now)).toBe(expected);
  });

  it('shows epoch seconds and ISO times as an absolute time with the relative one', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(timeWithRelative(Date.parse('2026-12-01T12:58:00Z') / 1000, now)).toBe('2026-12-01T12:58:00Z (in 58m)');
    expect(timeWithRelative('2026-12-01T11:00:00.000Z', now)).toBe('2026-12-01T11:00:00Z (1h ago)');
  });
});
