import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateDataset,
  insertDataset,
  type QualityReport,
  qualityReport,
  qualityReportFromDatabase,
  renderQualityReport,
  renderReportHtml,
  reportTargets,
  type TqsDatabase,
} from '../src';
import { TEST_NOW } from '../src/testing';
import { describeEachBackend, openTestDatabase } from './support/databases';

/*
 * The HTML report in a real headless Chromium: the page opens from a file with no request leaving it and no console
 * error, every chart has as many marks as the report has figures, and every number on the page is the text
 * report's. The browser is Debian's chromium (.ci/run installs it), driven by playwright-core; without either the
 * test skips and says why.
 */

const OUTPUT = resolve(__dirname, '../test-output');
const CHROMIUM = [process.env.TQS_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (path): path is string => !!path && existsSync(path),
);
const playwright = await import('playwright-core').catch((error: Error) => error);
const skipReason =
  playwright instanceof Error
    ? `playwright-core cannot be loaded (${playwright.message.split('\n')[0]}): run npm ci`
    : CHROMIUM === undefined
      ? 'no Chromium at /usr/bin/chromium (apt-get install -y chromium, or set TQS_CHROMIUM to its path)'
      : undefined;

/** The text report split into sections: the title line (unindented) and its body lines, unindented by two. */
function textSections(text: string): { title: string; lines: string[] }[] {
  const sections: { title: string; lines: string[] }[] = [];
  for (const line of text.split('\n')) {
    if (line !== '' && !line.startsWith(' ')) sections.push({ title: line, lines: [] });
    else sections.at(-1)?.lines.push(line.slice(2));
  }
  return sections;
}

function textSection(text: string, titleStart: string): string[] {
  const found = textSections(text).find((s) => s.title.startsWith(titleStart));
  if (!found) throw new Error(`the text report has no section "${titleStart}"`);
  return found.lines;
}

/** The rows of the first table in `lines`: columns from the dashes under the header, cells trimmed. */
function textTable(lines: string[]): string[][] {
  const dashes = lines.findIndex((l) => /^-+( +-+)*$/.test(l));
  if (dashes === -1) throw new Error('no table in these lines');
  const spans = [...lines[dashes]!.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const rows: string[][] = [];
  for (const line of lines.slice(dashes + 1)) {
    if (line.trim() === '') break;
    rows.push(spans.map(([start], i) => line.slice(start, i + 1 < spans.length ? spans[i + 1]![0] : undefined).trim()));
  }
  return rows;
}

/** `label  count  [extra]  bar` rows of a text bar chart, as [label, count, extra]. */
const textBars = (lines: string[]) =>
  lines.filter((line) => line.trim() !== '').map((line) => {
    const match = /^(.+?) {2,}([\d,]+)(?: {2,}(.*?))?(?: {2}[█▏▎▍▌▋▊▉]+)?$/.exec(line);
    if (!match) throw new Error(`not a bar row: ${JSON.stringify(line)}`);
    return [match[1]!.trim(), match[2]!, (match[3] ?? '').trim()];
  });

const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('renderReportHtml without a browser', () => {
  it('renders an empty database’s report with no chart of nothing and no NaN', () => {
    const report = qualityReport(generateDataset({ now: TEST_NOW, tutors: 0, sessions: 0 }));
    const html = renderReportHtml(report);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    expect(html).toContain('<p>No sessions.</p>');
    expect(html).toContain('<p>No reschedules.</p>');
    expect(html).not.toContain('data-chart="weekly-trend"');
    expect(html).toContain('Reschedule rates, 90-day window (0 tutors scored)');
    const text = renderQualityReport(report);
    expect(textSection(text, 'Sessions (bars) and tutor reschedules by week')).toContain('no sessions');
    expect(textSection(text, 'High-risk tutors')).toContain('none flagged');
  });

  it('escapes what the rows hold: a tutor name is text, never markup', () => {
    const report = qualityReport(generateDataset({ now: TEST_NOW, tutors: 10, sessions: 200, seed: 1 }));
    const name = '<script>alert("x")</script> & Co';
    const html = renderReportHtml({ ...report, highRiskTutors: [{ tutorId: 'x', name, rate7d: 50, rate30d: null, rate90d: 20 }] });
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
  });
});

if (skipReason !== undefined) {
  describe('renderReportHtml in a browser', () => it.skip(`skipped: ${skipReason}`, () => {}));
}

describe.skipIf(skipReason !== undefined)('renderReportHtml in a browser', () => {
  describeEachBackend('the page of a generated database', (backend) => {
    const dataset = generateDataset({ now: TEST_NOW, tutors: 40, sessions: 1200, seed: 5, timeZone: 'America/New_York' });
    let db: TqsDatabase;
    let report: QualityReport;
    let text: string;
    let page: import('playwright-core').Page;
    let browser: import('playwright-core').Browser;
    const requests: string[] = [];
    const errors: string[] = [];
    let fileUrl: string;

    beforeAll(async () => {
      db = await openTestDatabase(backend);
      await insertDataset(db, dataset);
      report = await qualityReportFromDatabase(db, {
        groundTruth: dataset.groundTruth,
        targets: reportTargets(dataset.options),
        timeZone: dataset.options.timeZone,
      });
      text = renderQualityReport(report, { width: 100 });
      mkdirSync(OUTPUT, { recursive: true });
      const file = join(OUTPUT, `report-${backend.name}.html`);
      writeFileSync(file, renderReportHtml(report));
      writeFileSync(join(OUTPUT, `report-${backend.name}.txt`), text);
      fileUrl = pathToFileURL(file).href;
      const { chromium } = playwright as typeof import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM!, timeout: 60_000 });
      page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      // Every request is recorded; only the page itself may load, anything else is refused before it leaves.
      await page.route('**/*', (route) => {
        const url = route.request().url();
        requests.push(url);
        return url === fileUrl ? route.continue() : route.abort('blockedbyclient');
      });
      await page.goto(fileUrl, { waitUntil: 'load', timeout: 30_000 });
    });
    afterAll(async () => {
      await browser?.close();
      await db?.close();
    });

    it('loads from a file URL with no other request and no console error, and writes a screenshot', async () => {
      expect(requests).toEqual([fileUrl]);
      expect(errors).toEqual([]);
      expect(await page.title()).toBe('Quality report');
      const shot = join(OUTPUT, `report-${backend.name}.png`);
      await page.screenshot({ path: shot, fullPage: true, timeout: 30_000 });
      expect(existsSync(shot)).toBe(true);
    });

    it('draws every chart, labelled for screen readers, with one mark per figure', async () => {
      const charts = await page.$$eval('svg[data-chart]', (svgs) =>
        svgs.map((svg) => {
          const title = svg.ownerDocument.getElementById(`${svg.id}-title`);
          const box = svg.getBoundingClientRect();
          return {
            id: svg.id,
            role: svg.getAttribute('role'),
            labelledBy: svg.getAttribute('aria-labelledby'),
            title: title?.textContent ?? null,
            titleInSvg: title?.parentElement === svg,
            width: box.width,
            height: box.height,
            marks: svg.querySelectorAll('.mark').length,
            circles: svg.querySelectorAll('.mark.circle').length,
            squares: svg.querySelectorAll('.mark.square').length,
          };
        }),
      );
      const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
      expect(Object.keys(byId).sort()).toEqual(
        ['hours', 'lead-times', 'rate-distribution', 'reason-codes', 'tiers-chart', 'weekdays', 'weekly-trend'].sort(),
      );
      for (const c of charts) {
        expect(c.role, c.id).toBe('img');
        expect(c.labelledBy, c.id).toBe(`${c.id}-title ${c.id}-desc`);
        expect(c.titleInSvg, c.id).toBe(true);
        expect(c.title, c.id).not.toBe('');
        expect(c.width, c.id).toBeGreaterThan(100);
        expect(c.height, c.id).toBeGreaterThan(50);
      }
      expect(byId.weekdays!.marks).toBe(7);
      expect(byId.hours!.marks).toBe(24);
      const weeks = report.weeklyTrend.length;
      expect(weeks).toBeGreaterThanOrEqual(13);
      expect(byId['weekly-trend']).toMatchObject({ marks: 2 * weeks, circles: weeks, squares: weeks });
      expect(byId['rate-distribution']!.marks).toBe(6);
      expect(byId['reason-codes']!.marks).toBe(report.reasonCodes.length);
      expect(byId['lead-times']!.marks).toBe(4);
      const tiers = report.groundTruth!.byTier;
      const segments = Object.values(tiers).flatMap((t) => [t.flagged, t.notFlagged, t.unscored]).filter((n) => n > 0);
      expect(byId['tiers-chart']!.marks).toBe(segments.length);
      // The threshold is marked on the rate distribution, and emphasis is a pattern, not a colour.
      expect(await page.textContent('#rate-distribution .threshold-label')).toBe(`threshold ${report.rescheduleRates.threshold}%`);
      const hatched = await page.$$eval('#rate-distribution rect.mark.hatched', (rects) => rects.map((r) => r.ownerDocument.defaultView!.getComputedStyle(r).fill));
      expect(hatched.length).toBeGreaterThan(0);
      for (const fill of hatched) expect(fill).toMatch(/url\(.*rate-distribution-hatch/);
    });

    it('has a print stylesheet: sections kept whole on a page, charts still drawn', async () => {
      const style = () =>
        page.$eval('#rates', (section) => {
          const view = section.ownerDocument.defaultView!;
          const svg = section.querySelector('svg')!.getBoundingClientRect();
          return { breakInside: view.getComputedStyle(section).breakInside, chartWidth: svg.width };
        });
      expect((await style()).breakInside).toBe('auto');
      await page.emulateMedia({ media: 'print' });
      try {
        const printed = await style();
        expect(printed.breakInside).toBe('avoid');
        expect(printed.chartWidth).toBeGreaterThan(100);
      } finally {
        await page.emulateMedia({ media: 'screen' });
      }
    });

    /** The marks of a chart as [label, written value, data value]. */
    const marks = (chart: string) =>
      page.$$eval(`#${chart} .mark`, (rects) =>
        rects.map((r) => [
          r.getAttribute('data-label') ?? '',
          r.parentElement?.querySelector('text.value')?.textContent ?? '',
          r.getAttribute('data-value') ?? '',
        ]),
      );
    const tableRows = (id: string) =>
      page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));

    it('says the text report’s numbers: weekdays, hours, rate bands, weeks, reasons, lead times', async () => {
      const weekdays = textBars(textSection(text, 'Sessions by weekday'));
      expect((await marks('weekdays')).map(([label, written]) => [label, written])).toEqual(weekdays.map(([l, n]) => [l, n]));
      const hours = await marks('hours');
      const [, tallest, at] = /^tallest: ([\d,]+) sessions at (\d\d):00$/.exec(textSection(text, 'Sessions by hour')[0]!)!;
      const values = hours.map(([, , v]) => Number(v));
      expect(Math.max(...values).toLocaleString('en-US')).toBe(tallest);
      expect(hours[values.indexOf(Math.max(...values))]![0]).toBe(at);
      const sessions = textTable(textSection(text, 'Counts')).find((r) => r[0] === 'sessions')![1]!;
      expect(values.reduce((a, b) => a + b, 0).toLocaleString('en-US')).toBe(sessions);
      for (const [, written, value] of hours) expect(written).toBe(Number(value).toLocaleString('en-US'));
      expect(await page.textContent('#hours-section figcaption')).toContain(`tallest: ${tallest} sessions at ${at}:00`);

      const bands = textBars(textSection(text, 'Reschedule rates'));
      expect((await marks('rate-distribution')).map(([l, w]) => [l, w])).toEqual(bands.map(([l, n]) => [l, n]));

      const weeks = textBars(textSection(text, 'Sessions (bars) and tutor reschedules by week'));
      const weekRows = await tableRows('trend-table');
      expect(weekRows).toEqual(
        weeks.map(([week, n, extra]) => {
          const [, byTutors, rate] = /^([\d,]+) by tutors +(\S+)$/.exec(extra!)!;
          return [week, n, byTutors, rate];
        }),
      );
      const points = await marks('weekly-trend');
      expect(points.filter((_, i) => i < weeks.length).map(([l, , v]) => [l, Number(v).toLocaleString('en-US')])).toEqual(
        weekRows.map((r) => [r[0], r[1]]),
      );
      expect(points.slice(weeks.length).map(([l, , v]) => [l, Number(v).toLocaleString('en-US')])).toEqual(
        weekRows.map((r) => [r[0], r[2]]),
      );

      const reasons = textBars(textSection(text, 'Reschedules by reason code'));
      expect((await marks('reason-codes')).map(([l, w]) => [l, w])).toEqual(reasons.map(([l, n]) => [l, n]));
      const leads = textBars(textSection(text, 'Reschedules by lead time'));
      expect((await marks('lead-times')).map(([l, w]) => [l, w])).toEqual(leads.map(([l, n]) => [l, n]));
    });

    it('says the text report’s numbers: counts, targets, high-risk tutors, tiers, integrity checks', async () => {
      expect(await page.textContent('#subject')).toBe(textSections(text)[0]!.title.replace(/^Quality report: /, ''));
      expect(await tableRows('counts')).toEqual(textTable(textSection(text, 'Counts')));

      const targets = textTable(textSection(text, 'Spec targets')).map(([description, target, achieved, tolerance, result]) => [
        description!.replace(/ \[\d+\]$/, ''),
        target,
        achieved,
        tolerance,
        result,
      ]);
      const pageTargets = (await tableRows('targets-table')).map((r) => [...r.slice(0, 4), r[4]!.replace(/^\S+ /, '')]);
      expect(pageTargets).toEqual(targets);

      const highRiskLine = textSection(text, 'High risk')[0]!;
      expect(await page.textContent('#high-risk-line')).toBe(highRiskLine);
      const tutors = textTable(textSection(text, 'High-risk tutors'));
      expect(tutors.length).toBe(report.highRiskTutors.length);
      expect(tutors.length).toBeGreaterThan(0);
      expect(await tableRows('high-risk-table')).toEqual(tutors);

      const tiers = textSection(text, 'Ground truth');
      expect(await tableRows('tiers-table')).toEqual(textTable(tiers));
      const prose = normalize(tiers.slice(tiers.findIndex((l) => l.startsWith('flagged vs'))).join(' '));
      expect(prose).toContain(normalize((await page.textContent('#agreement'))!));

      const verdict = (titleStart: string) => textSections(text).find((x) => x.title.startsWith(titleStart))!.title.split(/ {2}/)[1];
      expect(await page.textContent('#targets .verdict')).toBe(verdict('Spec targets'));
      expect(await page.textContent('#integrity .verdict')).toBe(verdict('Integrity checks'));
      const checks = textTable(textSection(text, 'Integrity checks'));
      expect((await tableRows('integrity-table')).map((r) => [r[0], r[1], r[2]!.replace(/^\S+ /, '')])).toEqual(checks);
    });
  });
});
