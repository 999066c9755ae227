/**
 * Who may read `/metrics`: by default only a loopback peer that did not come through a proxy; with
 * FIELDBOARD_METRICS_TOKEN only a bearer of that token; with FIELDBOARD_METRICS_LISTEN only the separate
 * address (the public port answers 404).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startWorld, type TestWorld } from './helpers.ts';

const TOKEN = 'metrics-token-0123456789';
let world: TestWorld | null = null;
afterEach(async () => {
  await world?.cleanup();
  world = null;
});

const scrape = (url: string, headers: Record<string, string> = {}) => fetch(`${url}/metrics`, { headers });

describe('/metrics', () => {
  it('by default answers a loopback peer, and refuses a request a proxy forwarded', async () => {
    world = await startWorld();
    const direct = await scrape(world.server.url);
    expect(direct.status).toBe(200);
    expect(await direct.text()).toContain('fieldboard_connections');
    for (const header of ['X-Forwarded-For', 'X-Forwarded-Proto', 'Forwarded', 'X-Real-IP']) {
      const proxied = await scrape(world.server.url, { [header]: header === 'Forwarded' ? 'for=203.0.113.9' : '203.0.113.9' });
      expect(proxied.status, header).toBe(403);
      expect(await proxied.text()).not.toContain('fieldboard_connections');
    }
  });

  it('with a token, answers only its bearer, loopback included', async () => {
    world = await startWorld({ metricsToken: TOKEN });
    expect((await scrape(world.server.url)).status).toBe(401);
    expect((await scrape(world.server.url, { Authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    const ok = await scrape(world.server.url, { Authorization: `Bearer ${TOKEN}`, 'X-Forwarded-For': '203.0.113.9' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('fieldboard_connections');
  });

  it('on a separate address, is served there only', async () => {
    world = await startWorld({ metricsListen: { host: '127.0.0.1', port: 0 } });
    const metricsUrl = world.server.metricsUrl!;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metricsUrl).not.toBe(world.server.url);
    expect((await scrape(world.server.url)).status).toBe(404);
    const there = await scrape(metricsUrl);
    expect(there.status).toBe(200);
    expect(await there.text()).toContain('fieldboard_mutations_total');
    expect((await fetch(`${metricsUrl}/api/health`)).status).toBe(404);
  });
});
