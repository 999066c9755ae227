/**
 * Printed after every `npm run build`: the gzipped JavaScript a visitor downloads, app and service worker,
 * so a size change shows in every build log (README "Sizes" keeps the latest).
 */
import { fieldboardSizes } from './run.ts';

const { app, sw } = fieldboardSizes();
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
console.log(`Fieldboard JS, gzipped: app ${kib(app)}, service worker ${kib(sw)}, total ${kib(app + sw)}`);
