/**
 * Playwright's documented sign-in pattern: log in through the API, save `storageState`, open the app in a
 * new context with it (https://playwright.dev/docs/auth). A valid session cookie must be enough: the app asks
 * the server whom the session belongs to and starts as that user, connected; an invalid cookie, or a person
 * who signed out, gets the sign-in form.
 */
import { test, expect } from '../kit/fixtures.ts';
import { apiDashboards, apiLogin, serverState, signIn, waitForSynced } from '../kit/index.ts';
import { counterValue, widget } from './ui-helpers.ts';

test('an API sign-in saved with storageState opens the app signed in and connected', async ({ browser, server, playwright }, info) => {
  const request = await playwright.request.newContext({ baseURL: server.url, extraHTTPHeaders: { origin: server.url } });
  const login = await request.post('/api/login', { data: { username: 'demo', password: 'demo' } });
  expect(login.ok()).toBe(true);
  const statePath = info.outputPath('demo-state.json');
  await request.storageState({ path: statePath });
  await request.dispose();

  const context = await browser.newContext({ storageState: statePath, baseURL: server.url });
  try {
    const page = await context.newPage();
    await page.goto('/');
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    await expect(page.getByLabel('Username')).toHaveCount(0);
    await waitForSynced(page);
    await expect(page.getByRole('combobox', { name: 'Dashboard' })).not.toHaveValue('');
    // Connected for real: an edit reaches the server.
    await widget(page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
    await expect(counterValue(page, 'Pumps')).toHaveText('1');
    await waitForSynced(page);
    const api = await apiLogin(server.url);
    const [dashboard] = await apiDashboards(api);
    const pumps = (await serverState(api, dashboard.id)).find((w) => w.title === 'Pumps');
    expect(pumps?.kind === 'counter' && pumps.value).toBe(1);
  } finally {
    await context.close();
  }
});

test('a session cookie the server does not know shows the sign-in form', async ({ browser, server }) => {
  const context = await browser.newContext({ baseURL: server.url });
  try {
    const { hostname } = new URL(server.url);
    await context.addCookies([{ name: 'fb_session', value: 'not-a-session', domain: hostname, path: '/' }]);
    const page = await context.newPage();
    await page.goto('/');
    await expect(page.getByLabel('Username')).toBeVisible();
    await expect(page.getByRole('status')).toContainText('Signed out');
    // Still usable: the form signs in as always.
    await signIn(page);
  } finally {
    await context.close();
  }
});

test('a person who signed out while offline is not signed in again by the old cookie', async ({ page, context }) => {
  await signIn(page);
  await context.setOffline(true);
  await page.getByRole('button', { name: 'Sign out' }).click(); // nothing pending: no question asked
  await expect(page.getByLabel('Username')).toBeVisible();
  await context.setOffline(false);
  await page.reload();
  await expect(page.getByLabel('Username')).toBeVisible();
  // Give a wrongly eager session check time to act: the form must still be there, signed out.
  await page.waitForTimeout(1_500);
  await expect(page.getByLabel('Username')).toBeVisible();
  await expect(page.getByRole('status')).toContainText('Signed out');
});
