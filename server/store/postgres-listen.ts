/**
 * One dedicated connection per node that LISTENs for other nodes' commit hints (docs/server.md, "Several
 * nodes"). A hint is only a hint: the change log is the truth, so a lost hint costs latency, never data.
 *
 * What must stay true:
 * - A dropped connection is reopened with backoff (100 ms doubling to 5 s), for as long as the node runs.
 * - `onConnect` fires after every successful LISTEN, the first included: hints sent while nobody listened
 *   are lost, so the node re-reads the log of every dashboard it follows.
 * - A payload is validated before use: anything on the channel that is not a `{dashboardId, seq}` hint is
 * ignored, never trusted.
 */
import pg from 'pg';
import * as v from 'valibot';
import { DashboardIdSchema } from '../../protocol/index.ts';
import { HINT_CHANNEL } from './postgres-apply.ts';
import type { HintHandlers, HintListener } from './store.ts';

const HintSchema = v.object({
  dashboardId: DashboardIdSchema,
  seq: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

/** The application_name of the LISTEN connection, so operators (and tests) can find it in pg_stat_activity. */
export const LISTEN_APPLICATION_NAME = 'fieldboard-listen';

export class PgHintListener implements HintListener {
  private client: pg.Client | null = null;
  private listening = false;
  private closed = false;
  private backoff = MIN_BACKOFF_MS;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly handlers: HintHandlers,
  ) {
    this.connect();
  }

  connected(): boolean {
    return this.listening;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }

  private connect(): void {
    if (this.closed) return;
    const client = new pg.Client({ ...this.config, application_name: LISTEN_APPLICATION_NAME, keepAlive: true });
    this.client = client;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      const wasListening = this.listening;
      this.listening = false;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.closed || this.client !== client) return;
      this.client = null;
      if (wasListening) this.handlers.onDisconnect(err);
      this.timer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('LISTEN connection ended')));
    client.on('notification', (msg) => {
      if (msg.channel !== HINT_CHANNEL || msg.payload === undefined) return;
      let json: unknown;
      try {
        json = JSON.parse(msg.payload);
      } catch {
        return;
      }
      const hint = v.safeParse(HintSchema, json);
      if (hint.success) this.handlers.onHint(hint.output);
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${HINT_CHANNEL}`))
      .then(() => {
        if (failed || this.closed) return;
        this.listening = true;
        this.backoff = MIN_BACKOFF_MS;
        this.handlers.onConnect();
      })
      .catch(fail);
  }
}
