/**
 * `npm run cluster` as a person uses it (docs/server.md, "Trying a cluster locally"): the command starts
 * PostgreSQL, two nodes and nginx, and prints the URL. Through that URL: sign in, and a device whose node is
 * SIGKILLed reconnects through nginx to the other node and catches up with exactly what it missed, once.
 * Then Ctrl-C (SIGINT) stops everything.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MutationInput, WidgetId } from '../../protocol/index.ts';
import { Device, health, metricsText, ROOT } from './cluster-helpers.ts';
import { firstDashboard, login, waitUntil, type Target } from './helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('npm run cluster', { timeout: 120_000 }, () => {
  it('serves one deployment through nginx; a device resumes on the other node after its node is killed', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'fieldboard-cluster-'));
    // PostgreSQL runs as another user (tests/setup/postgres.sh) and must reach its folder under this one.
    chmodSync(data, 0o755);
    const proc = spawn(process.execPath, ['--import', 'tsx', 'deploy/cluster.ts', '--nodes', '2', '--port', '0', '--data', data], {
      cwd: ROOT,
      env: { ...process.env, FIELDBOARD_DEMO_PASSWORD: 'cluster-cmd-pw' },
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    cleanups.push(() => {
      if (proc.exitCode === null) proc.kill('SIGINT');
    });
    cleanups.push(() => rmSync(data, { recursive: true, force: true }));
    await waitUntil(() => /behind nginx: http:\/\/\S+/.test(out) || proc.exitCode !== null, 90_000, 'the cluster URL');
    const url = /behind nginx: (http:\/\/\S+)/.exec(out)?.[1];
    if (!url) throw new Error(`no URL printed: ${out}`);
    const nodes = [...out.matchAll(/node \d: (http:\/\/\S+) \(pid (\d+)\)/g)].map((m) => ({ url: m[1], pid: Number(m[2]) }));
    expect(nodes).toHaveLength(2);

    const balancer: Target = { server: { url }, origin: url };
    expect((await health(balancer)).body).toMatchObject({ status: 'ok', db: 'ok', listen: 'ok' });
    const cookie = await login(balancer, 'demo', 'cluster-cmd-pw');
    const dashboardId = await firstDashboard(balancer, cookie);

    const device = new Device(cookie, dashboardId);
    await device.connect(balancer);
    const connectionsOn = async (u: string) => Number(/^fieldboard_connections (\d+)$/m.exec(await metricsText({ server: { url: u }, origin: url }))?.[1]);
    const counts = await Promise.all(nodes.map((n) => connectionsOn(n.url)));
    const victim = nodes[counts.indexOf(1)];
    const survivor = nodes.find((n) => n !== victim)!;
    expect(victim).toBeDefined();

    // A second device straight on the surviving node writes while the first one's node is dead.
    const writer = new Device(cookie, dashboardId);
    await writer.connect({ server: { url: survivor.url }, origin: url });
    const widgetId = 'w_cmd' as WidgetId;
    const create: MutationInput = { name: 'widget.create', args: { widgetId, kind: 'counter', title: 'Trucks', position: 'c0', value: 0 } };
    writer.queue(create);
    await writer.flush();
    await waitUntil(() => device.cursor === writer.cursor, 10_000, 'device live');

    process.kill(victim.pid, 'SIGKILL');
    await device.socket!.closed;
    for (let i = 0; i < 10; i++) writer.queue({ name: 'counter.add', args: { widgetId, delta: 1 } });
    await writer.flush();

    // Through nginx again: the dead node refuses, nginx passes the socket to the surviving node.
    await device.connect(balancer);
    await waitUntil(() => device.cursor === writer.cursor, 10_000, 'device caught up');
    const seqs = device.received.map((c) => c.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    const last = device.received.filter((c) => c.widgetId === widgetId).at(-1)?.widget;
    expect(last).toMatchObject({ kind: 'counter', value: 10 });
    expect(await connectionsOn(survivor.url)).toBe(2);

    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('cluster stopped');
  });
});
