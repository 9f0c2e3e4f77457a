import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { ThemeToggle } from '../theme.tsx';

export function LoginPage(props: { error?: string; onSignedIn: () => void }) {
  const [error, setError] = useState(props.error);
  const [busy, setBusy] = useState(false);
  document.title = 'Sign in · itops';
  return (
    <main class="centered login">
      <div class="card login-card">
        <h1>Sign in to itops</h1>
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget as HTMLFormElement);
            setBusy(true);
            setError(undefined);
            try {
              await api.login(String(form.get('email')), String(form.get('password')));
              props.onSignedIn();
            } catch (e) {
              setError(describeError(e));
            } finally {
              setBusy(false);
            }
          }}
        >
          <label for="login-email">Email</label>
          <input id="login-email" name="email" type="email" autoComplete="username" required maxLength={254} />
          <label for="login-password">Password</label>
          <input id="login-password" name="password" type="password" autoComplete="current-password" required maxLength={1024} />
          {error ? (
            <p class="error" role="alert">
              {error}
            </p>
          ) : null}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <section aria-labelledby="first-run" class="first-run">
          <h2 id="first-run">New installation?</h2>
          <p>
            On its first start the server prints a one-time setup link in its log (<code>/setup?token=…</code>). Open it to create the first administrator and
            workspace, then sign in here. The <a href="/docs">API reference</a> is open to everyone.
          </p>
        </section>
        <ThemeToggle />
      </div>
    </main>
  );
}
