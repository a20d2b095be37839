import { formatMs, formatRate, median } from './measure';

/** Where a figure was measured: a database backend, or `node` for what touches no database. */
export type FigureBackend = 'pglite' | 'postgres' | 'node';

/** One line of the final table, and of the JSON results. */
export interface Figure {
  /** What is measured against what, e.g. `load: insertDataset vs COPY`. */
  figure: string;
  backend: FigureBackend;
  /** `small`, `medium`, `large`, or what a cross-scale figure compares (`large/medium`). */
  scale: string;
  /** Median of the measured samples, in milliseconds. */
  median: number;
  /** Median of the floor's (or baseline's) samples, in milliseconds, measured in the same run. */
  floor: number;
  /** The ratio the target is stated in; see `ratioMeaning`. */
  ratio: number;
  /** How `ratio` is computed, e.g. `floor/median (share of COPY throughput)`. */
  ratioMeaning: string;
  /** What the median, floor and ratio cells show. */
  display: { median: string; floor: string; ratio: string };
  /** The target, as printed (`>= 0.80`), or `-` when the figure has none. */
  target: string;
  /** Whether the target is met; undefined when there is none. */
  met: boolean | undefined;
  samples: number[];
  floorSamples: number[];
  /** Rows (or tutors) per sample, for throughput. */
  rows?: number;
  notes: string[];
}

/** A stable key of a figure across runs, for `--compare`. */
export const figureKey = (f: Pick<Figure, 'figure' | 'backend' | 'scale'>) => `${f.figure}|${f.backend}|${f.scale}`;

/** What every figure's input holds: where it was measured, and the samples of both sides. */
export interface MeasuredInput {
  figure: string;
  backend: FigureBackend;
  scale: string;
  samples: number[];
  floorSamples: number[];
  notes?: string[];
}

/** The fields of a figure that come straight from its input: the samples and their two medians. */
function measured(input: MeasuredInput) {
  return {
    figure: input.figure,
    backend: input.backend,
    scale: input.scale,
    median: median(input.samples),
    floor: median(input.floorSamples),
    samples: input.samples,
    floorSamples: input.floorSamples,
    notes: input.notes ?? [],
  };
}

export interface ThroughputFigureInput extends MeasuredInput {
  rows: number;
  floorLabel: string;
  minShare?: number;
}

/**
 * A throughput figure: `ratio` is the share of the floor's throughput reached (floor time ÷ time, higher is better;
 * 1.00 means as fast as the floor).
 */
export function throughputFigure(input: ThroughputFigureInput): Figure {
  const fields = measured(input);
  const { median: m, floor: f } = fields;
  const ratio = f / m;
  const rate = (ms: number) => formatRate((input.rows * 1000) / ms);
  return {
    ...fields,
    ratio,
    ratioMeaning: `floor time / median time: the share of ${input.floorLabel} throughput reached`,
    display: {
      median: `${formatMs(m)} (${rate(m)})`,
      floor: `${formatMs(f)} (${rate(f)})`,
      ratio: ratio.toFixed(2),
    },
    target: input.minShare === undefined ? '-' : `>= ${input.minShare.toFixed(2)}`,
    met: input.minShare === undefined ? undefined : ratio >= input.minShare,
    rows: input.rows,
  };
}

export interface TimeRatioFigureInput extends MeasuredInput {
  /** `median/floor` (a cost multiple, lower is better) or `floor/median` (a speed-up, higher is better). */
  direction: 'median/floor' | 'floor/median';
  ratioMeaning: string;
  /** `ratio <= max` or `ratio >= min` */
  max?: number;
  min?: number;
  /** An extra absolute bound on the median, in ms. */
  maxMedianMs?: number;
  targetText?: string;
  floorDisplay?: string;
}

/** A figure whose ratio compares two times. */
export function timeRatioFigure(input: TimeRatioFigureInput): Figure {
  const fields = measured(input);
  const { median: m, floor: f } = fields;
  const ratio = input.direction === 'median/floor' ? m / f : f / m;
  const parts: string[] = [];
  let met: boolean | undefined;
  if (input.max !== undefined) {
    parts.push(`<= ${input.max}x`);
    met = ratio <= input.max;
  }
  if (input.min !== undefined) {
    parts.push(`>= ${input.min}x`);
    met = ratio >= input.min;
  }
  if (input.maxMedianMs !== undefined) {
    parts.push(`median < ${formatMs(input.maxMedianMs)}`);
    met = (met ?? true) && m < input.maxMedianMs;
  }
  return {
    ...fields,
    ratio,
    ratioMeaning: input.ratioMeaning,
    display: {
      median: formatMs(m),
      floor: input.floorDisplay ?? formatMs(f),
      ratio: `${ratio >= 100 ? Math.round(ratio) : ratio.toFixed(2)}x`,
    },
    target: input.targetText ?? (parts.length > 0 ? parts.join(', ') : '-'),
    met,
  };
}

/** An absolute time figure (the 1M-session load): the floor is shown for reference, the target is on the median. */
export function absoluteFigure(input: MeasuredInput & { rows: number; maxMs?: number }): Figure {
  const figure = throughputFigure({ ...input, floorLabel: 'COPY' });
  return {
    ...figure,
    ratioMeaning: `${figure.ratioMeaning}, refresh included`,
    target: input.maxMs === undefined ? '-' : `< ${formatMs(input.maxMs)}`,
    met: input.maxMs === undefined ? undefined : figure.median < input.maxMs,
  };
}
