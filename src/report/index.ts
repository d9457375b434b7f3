/**
 * Run records and self-contained HTML reports.
 *
 * @example
 * const rec = runRecorder();
 * fit(model, data, { ...opts, observers: [rec] });
 * const html = renderReport([{ label: "run", record: parseRunRecord(JSON.parse(text)) }]);
 */
export {
  runRecorder,
  StepRecorder,
  stringifyRunRecord,
  RUN_RECORD_FORMAT,
  RUN_RECORD_VERSION,
  type RunRecord,
  type StepSeries,
  type EpochRecord,
  type ContinualRecord,
} from "./record.js";
export { parseRunRecord } from "./parse.js";
export { renderReport, type ReportRun, type ReportOptions } from "./render.js";
export { envelope, type Envelope } from "./downsample.js";
export { escapeXml, lineChart, heatmap, type LineSeries, type Marker } from "./svg.js";
