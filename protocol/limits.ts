/** Limits of docs/protocol.md "Limits". Over a limit the answer is `too-large`, never a silent truncation. */
export const LIMITS = {
  /** Socket frames and HTTP bodies. */
  maxFrameBytes: 1024 * 1024,
  maxMutationsPerPush: 500,
  maxTitleLength: 200,
  /** Note text, counted in UTF-16 code units (what a textarea's maxlength counts). */
  maxNoteLength: 64 * 1024,
  maxChecklistItems: 500,
  maxItemTextLength: 500,
  maxDashboardNameLength: 200,
  maxMetricKeyLength: 200,
  /** Points kept in a metric widget's series. */
  metricSeriesLength: 60,
  defaultPullLimit: 500,
  maxPullLimit: 1000,
} as const;
