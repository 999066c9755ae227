/**
 * Printed after every `npm run build`: the gzipped JavaScript a visitor downloads, app and service worker,
 * so a size change shows in every build log (README "Sizes" keeps the latest). `npm run size -- --by-module`
 * also builds once with sourcemaps and prints what each package and each of our folders costs
 * (bench/size/by-module.ts).
 */
import { byModuleTable, measureByModule } from './by-module.ts';
import { fieldboardSizes } from './run.ts';

const { app, appStart, appLazy, sw } = fieldboardSizes();
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
const lazy = appLazy > 0 ? ` (${kib(appStart)} at start, ${kib(appLazy)} in lazy chunks)` : '';
const lazyTotal = appLazy > 0 ? ` (${kib(appStart + sw)} without the lazy chunks)` : '';
console.log(`Fieldboard JS, gzipped: app ${kib(app)}${lazy}, service worker ${kib(sw)}, total ${kib(app + sw)}${lazyTotal}`);
if (process.argv.includes('--by-module')) console.log(`\n${byModuleTable(await measureByModule())}`);
