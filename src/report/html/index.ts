export { renderReportHtml, type RenderReportHtmlOptions } from './render-html';
