/*
 * The page's one stylesheet: screen and print. Marks are a mid blue with a dark outline; emphasis is hatching, so
 * a grey print or a reader who cannot tell colours apart loses nothing.
 */
/**
 * The stylesheet of the HTML report, inlined in its `<style>`.
 *
 * @example
 * `<style>${REPORT_CSS}</style>`;
 */
export const REPORT_CSS = `
:root { --ink: #1b1f24; --muted: #57606a; --mark: #4a7ab5; --mark-light: #c9d9ee; --rule: #d0d7de; --pass: #1a7f37; --fail: #cf222e; --info: #9a6700; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; margin: 0; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
p.subject, p.note, figcaption { color: var(--muted); }
section { margin: 28px 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 8px 28px; }
#targets-table { width: 100%; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 6px 0; }
th, td { padding: 3px 10px 3px 0; text-align: left; vertical-align: top; border-bottom: 1px solid #eaeef2; }
th { font-weight: 600; border-bottom: 1px solid var(--rule); }
td.num, th.num { text-align: right; }
.status { font-weight: 700; white-space: nowrap; }
.status.pass { color: var(--pass); } .status.fail { color: var(--fail); } .status.info { color: var(--info); } .status.na { color: var(--muted); }
figure { margin: 8px 0 0; }
svg { max-width: 100%; height: auto; display: block; font-family: inherit; }
svg text { fill: var(--ink); font-size: 12px; }
svg .tick { fill: var(--muted); font-size: 11px; }
svg .value { font-size: 11px; font-variant-numeric: tabular-nums; }
svg .grid { stroke: #e4e8ec; stroke-dasharray: 3 3; }
svg .axis { stroke: var(--ink); }
svg rect.mark, svg .segment { fill: var(--mark); stroke: var(--ink); stroke-width: 0.8; }
svg rect.mark.hatched, svg .segment.hatch, svg .segment.dots { stroke-width: 1; }
svg .segment.solid { fill: var(--mark-light); }
svg .fill-hatch-bg { fill: #fff; }
svg .hatch-line { stroke: var(--ink); stroke-width: 2.2; }
svg .dot { fill: var(--ink); }
svg .threshold { stroke: var(--fail); stroke-width: 2; stroke-dasharray: 6 3; }
svg .threshold-label { fill: var(--fail); font-weight: 700; }
svg .line { fill: none; stroke: var(--mark); stroke-width: 2; }
svg .line.square { stroke: var(--ink); stroke-dasharray: 6 4; }
svg .point.circle { fill: var(--mark); stroke: var(--ink); stroke-width: 1; }
svg .point.square { fill: #fff; stroke: var(--ink); stroke-width: 1.5; }
footer { color: var(--muted); font-size: 13px; border-top: 1px solid var(--rule); padding-top: 8px; }
@media print {
  @page { margin: 14mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  section { break-inside: avoid; page-break-inside: avoid; margin: 16px 0; }
  .status.pass, .status.fail, .status.info, .status.na, svg .threshold-label { color: #000; fill: #000; }
  svg .threshold { stroke: #000; }
  a { color: inherit; text-decoration: none; }
}
`;
