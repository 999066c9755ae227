// The least an app ships to sync with Firestore offline: app, Firestore with the persistent (IndexedDB)
// cache, one write, one listener.
import { initializeApp } from 'firebase/app';
import { doc, increment, initializeFirestore, onSnapshot, persistentLocalCache, setDoc } from 'firebase/firestore';

const app = initializeApp({ projectId: 'bench', apiKey: 'bench', appId: 'bench' });
const db = initializeFirestore(app, { localCache: persistentLocalCache() });
const ref = doc(db, 'dashboards/demo/widgets/counter');
onSnapshot(ref, (s) => console.log(s.data()));
void setDoc(ref, { value: increment(1) }, { merge: true });
