/** Entry point: the app against the real sync client (the service worker's page side). */
import { render } from 'preact';
import { App } from './app/app.tsx';
import { createSyncClient } from './sync/sw-client.ts';
import { applyTheme } from './state/theme.ts';
import { startPageTrace } from './sync/trace.ts';
import './styles.css';

applyTheme();
startPageTrace();

render(<App client={createSyncClient()} />, document.getElementById('app')!);
