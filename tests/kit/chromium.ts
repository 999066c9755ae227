/**
 * The Chromium every browser test and benchmark launches: the Debian package's binary (or
 * FIELDBOARD_CHROMIUM) with flags that keep it quiet on a closed network, without a GPU and without a
 * sandbox (containers). playwright.config.ts, the benchmarks and the real-lifetime test share these.
 */
export const CHROMIUM_PATH = process.env.FIELDBOARD_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
