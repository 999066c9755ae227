// The least an app ships to sync with Replicache: the client, one mutator, one subscription.
import { Replicache, type WriteTransaction } from 'replicache';

const rep = new Replicache({
  name: 'bench',
  licenseKey: 'bench',
  pushURL: '/api/push',
  pullURL: '/api/pull',
  mutators: {
    async increment(tx: WriteTransaction, id: string) {
      const v = ((await tx.get<number>(id)) ?? 0) + 1;
      await tx.set(id, v);
    },
  },
});
rep.subscribe((tx) => tx.get('counter'), { onData: (v) => console.log(v) });
void rep.mutate.increment('counter');
