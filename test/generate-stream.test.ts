import { describe, expect, it } from 'vitest';
import {
  type Dataset,
  type DatasetStream,
  generateDataset,
  generateDatasetStream,
  type GenerateOptions,
  maxGeneratedRows,
  InvalidOptionError,
} from '../src';

const now = new Date('2026-01-15T12:00:00.000Z');

/** The chunks of a stream concatenated, table by table, into one dataset. */
function collect(stream: DatasetStream): { dataset: Dataset; chunks: number; sizes: number[]; tutorChunks: number[] } {
  const dataset: Dataset = { options: stream.options, tutors: [], sessions: [], reschedules: [], emailReports: [], groundTruth: [] };
  const sizes: number[] = [];
  const tutorChunks: number[] = [];
  let chunks = 0;
  for (const chunk of stream) {
    if (chunk.tutors.length > 0) tutorChunks.push(chunks);
    chunks++;
    sizes.push(chunk.sessions.length);
    dataset.tutors.push(...chunk.tutors);
    dataset.sessions.push(...chunk.sessions);
    dataset.reschedules.push(...chunk.reschedules);
    dataset.emailReports.push(...chunk.emailReports);
    dataset.groundTruth.push(...chunk.groundTruth);
  }
  return { dataset, chunks, sizes, tutorChunks };
}

const optionSets: [string, GenerateOptions][] = [
  ['the defaults', { seed: 7, now }],
  ['another seed, a year, a time zone with DST', { seed: 123, now, tutors: 40, sessions: 2_500, days: 365, timeZone: 'America/New_York' }],
  ['few sessions for many tutors (tutors with none)', { seed: 9, now, tutors: 60, sessions: 45 }],
  ['one tutor', { seed: 1, now, tutors: 1, sessions: 300 }],
  ['no sessions', { seed: 3, now, tutors: 5, sessions: 0 }],
  ['no tutors', { seed: 4, now, tutors: 0, sessions: 0 }],
  [
    'other shares and hours',
    {
      seed: 55,
      now,
      tutors: 30,
      sessions: 1_200,
      tierMix: { low: 0.2, medium: 0.3, high: 0.5 },
      emailReportShare: 1,
      emailFailureShare: 0.3,
      openHours: { start: 6, end: 23 },
      peakHours: { start: 8, end: 10 },
    },
  ],
];

describe('generateDatasetStream', () => {
  for (const [name, options] of optionSets) {
    it(`yields row for row the dataset of generateDataset: ${name}`, () => {
      const whole = generateDataset(options);
      for (const chunkSessions of [1, 97, 1_000, undefined]) {
        const stream = generateDatasetStream(options, chunkSessions === undefined ? {} : { chunkSessions });
        const { dataset, sizes, tutorChunks } = collect(stream);
        expect(dataset).toEqual(whole);
        // Every tutor comes in the first chunk; a chunk is cut once it holds chunkSessions sessions (the last takes the rest).
        expect(tutorChunks).toEqual(whole.tutors.length > 0 ? [0] : []);
        for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(chunkSessions ?? 2_000);
      }
    });
  }

  it('cuts chunks at tutor boundaries, and each iteration yields the same chunks again', () => {
    const stream = generateDatasetStream({ seed: 11, now, tutors: 20, sessions: 2_000 }, { chunkSessions: 300 });
    const first = [...stream];
    expect(first.length).toBeGreaterThan(3);
    const tutorsOf = (chunk: (typeof first)[number]) => new Set(chunk.sessions.map((s) => s.tutorId));
    for (let i = 1; i < first.length; i++) {
      for (const tutor of tutorsOf(first[i]!)) expect(tutorsOf(first[i - 1]!).has(tutor)).toBe(false);
    }
    expect([...stream]).toEqual(first);
  });

  it('checks the options when called, and reads the clock once', () => {
    expect(() => generateDatasetStream({ days: 0 })).toThrow(/option 'days'/);
    expect(() => generateDatasetStream({}, { chunkSessions: 0 })).toThrow(/chunkSessions/);
    const stream = generateDatasetStream({ tutors: 3, sessions: 30 });
    expect(stream.options.now).toBeInstanceOf(Date);
    expect(collect(stream).dataset).toEqual(generateDataset(stream.options));
  });

  it('holds only the tutors in memory at once: sessions above maxGeneratedRows are refused by generateDataset only', () => {
    const sessions = maxGeneratedRows() + 1_000;
    expect(() => generateDataset({ now, tutors: 10, sessions })).toThrow(InvalidOptionError);
    // Nothing is generated until the stream is iterated: this returns at once.
    expect(generateDatasetStream({ now, tutors: 10, sessions }).options.sessions).toBe(sessions);
    expect(() => generateDatasetStream({ now, tutors: maxGeneratedRows() + 1, sessions: 0 })).toThrow(/option 'tutors'/);
    // One tutor's sessions are still made at once: an average beyond a quarter of the bound is refused.
    expect(() => generateDatasetStream({ now, tutors: 10, sessions: 1e12 })).toThrow(/option 'sessions' .*per tutor/);
  });
});
