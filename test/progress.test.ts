import { describe, expect, it } from 'vitest';
import { estimate, formatTimeLeft } from '../src/cli/progress';

describe('the load progress: time left', () => {
  it('formats what is left in seconds, minutes or hours', () => {
    expect(formatTimeLeft(400)).toBe('1 s');
    expect(formatTimeLeft(42_000)).toBe('42 s');
    expect(formatTimeLeft(83_000)).toBe('1 min 23 s');
    expect(formatTimeLeft(3 * 3_600_000 + 5 * 60_000)).toBe('3 h 05 min');
  });

  it('estimates from the rate so far, and says nothing while too early or when done', () => {
    expect(estimate(4_000, 1_000_000, 10_000_000)).toBe('~36 s left');
    expect(estimate(60_000, 2_500_000, 10_000_000)).toBe('~3 min 00 s left');
    expect(estimate(1_000, 1_000_000, 10_000_000)).toBe(''); // under 2 s: too early
    expect(estimate(10_000, 0, 10_000_000)).toBe('');
    expect(estimate(10_000, 10_000_000, 10_000_000)).toBe('');
  });
});
