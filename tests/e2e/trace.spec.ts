/**
 * The hop trace as the propagation benchmark reads it (docs/testing.md, "The hop trace"): one click on
 * device A leaves a mark for every hop of its path, in path order, to device B's painted frame and to a
 * second tab of A. Only presence and order are checked, never durations.
 */
import type { BrowserContext, Page } from '@playwright/test';
import {
  DEVICE_PATH,
  TAB_PATH,
  enableTrace,
  expect,
  madeMutation,
  pathTimes,
  serverTraceReader,
  serviceWorkerOf,
  signIn,
  startKitServer,
  takeClickTrace,
  takeMarks,
  test,
  waitForSynced,
} from '../kit/index.ts';
import { counterValue, widget } from './ui-helpers.ts';

async function tracedDevice(context: BrowserContext): Promise<Page> {
  await enableTrace(context);
  const page = await context.newPage();
  await signIn(page);
  await waitForSynced(page);
  return page;
}

test('one click leaves every hop of its path, in order, up to the frame painted on the other device', async ({ browser }) => {
  const server = await startKitServer({ env: { FIELDBOARD_TRACE: '1' } });
  const contexts = [await browser.newContext({ baseURL: server.url }), await browser.newContext({ baseURL: server.url })];
  try {
    const [a, b] = contexts;
    const tab = await tracedDevice(a);
    const tabB = await tracedDevice(b);
    const tab2 = await a.newPage();
    await tab2.goto('/');
    await waitForSynced(tab2);

    const serverMarks = serverTraceReader(server);
    const realms = { tab, tab2, worker: serviceWorkerOf(a), workerB: serviceWorkerOf(b), tabB };
    for (const realm of Object.values(realms)) await takeMarks(realm); // sign-in and first paint: not this click's
    serverMarks();

    await widget(tab, 'Pumps').getByRole('button', { name: 'Increment' }).click();
    for (const p of [tab, tab2, tabB]) await expect(counterValue(p, 'Pumps')).toHaveText('1');
    await waitForSynced(tab);
    const marks = await takeClickTrace(realms, serverMarks);

    const m = madeMutation(marks);
    for (const path of [DEVICE_PATH, TAB_PATH]) {
      const times = pathTimes(path, marks, m); // throws, naming the step, when a hop has no mark
      const byTime = [...times].sort((x, y) => x.t - y.t).map((s) => s.name);
      expect(byTime).toEqual(path.map((s) => s.name));
    }
  } finally {
    for (const c of contexts) await c.close();
    await server.stop();
  }
});
