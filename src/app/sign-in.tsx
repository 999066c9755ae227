/** Sign in. A failure keeps what was typed and says why in an alert. */
import { useState } from 'preact/hooks';
import { useClient } from './contexts.ts';

export function SignIn() {
  const client = useClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await client.signIn(username, password);
      if (!r.ok) setError(r.message);
    } catch (err) {
      setError(`Could not sign in: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <form onSubmit={submit} class="card">
        <h2>Sign in</h2>
        <label>
          Username
          <input
            name="username"
            autocomplete="username"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {client.checkingSession.value && (
          <p class="hint" aria-live="polite">
            Checking whether this browser is still signed in…
          </p>
        )}
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
