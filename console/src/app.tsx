import { useEffect, useRef, useState } from 'preact/hooks';
import { api, chooseWorkspace, describeError, forgetSession, sessionEndedEvent } from './api.ts';
import { startLive } from './live.ts';
import { AlertsPage } from './pages/alerts.tsx';
import { ChannelsPage } from './pages/channels.tsx';
import { DashboardPage } from './pages/dashboard.tsx';
import { LicensePage } from './pages/license.tsx';
import { LoginPage } from './pages/login.tsx';
import { PluginPage } from './pages/plugin-page.tsx';
import { PluginRecordPage } from './pages/plugin-record.tsx';
import { pluginViews } from './plugin-views/plugin-views.tsx';
import { ProfilePage } from './pages/profile.tsx';
import { navigate, useRoute } from './router.ts';
import { can, loadSession, type Session, SessionContext } from './session.ts';
import { ThemeToggle } from './theme.tsx';

interface NavItem {
  route: string;
  title: string;
  group: string;
  permission?: string;
}

/** The core's own pages; plugins add theirs from GET /api/v1/console/pages. */
const corePages: NavItem[] = [
  { route: 'dashboard', title: 'Dashboard', group: 'Overview', permission: 'dashboard:read' },
  { route: 'alerts', title: 'Alerts', group: 'Alerting', permission: 'alerts:read' },
  { route: 'channels', title: 'Channels & webhooks', group: 'Alerting', permission: 'channels:read' },
  { route: 'license', title: 'License & edition', group: 'Administration', permission: 'edition:read' },
  { route: 'profile', title: 'Profile & API keys', group: 'Administration' },
];

// Where the usual sections go; a plugin's own section goes before Administration, which stays last.
const groupOrder = ['Overview', 'Monitoring', 'Alerting', 'SLA', 'Service desk', 'AIOps'];
const groupRank = (group: string) => (group === 'Administration' ? 1000 : groupOrder.indexOf(group) < 0 ? 500 : groupOrder.indexOf(group));

function navItems(session: Session): NavItem[] {
  const plugin = session.pages.map((p) => ({ route: p.path, title: p.title, group: p.navGroup, permission: p.permission }));
  // Plugin pages in their groups, after the core's Overview; the core's other groups follow.
  const items = [...corePages.slice(0, 1), ...plugin, ...corePages.slice(1)];
  return items.filter((p) => !p.permission || can(session, p.permission));
}

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | undefined>();
  const [state, setState] = useState<'loading' | 'signed-out' | 'ready'>(api.auth.session ? 'loading' : 'signed-out');
  const [error, setError] = useState<string>();
  const [live, setLive] = useState(false);
  const [menuOpen, setMenuOpen] = useState(false);

  const refresh = () => {
    loadSession().then(
      (s) => {
        setSession(s);
        setState('ready');
        setError(undefined);
      },
      (e) => {
        setError(describeError(e));
        forgetSession();
        setState('signed-out');
      },
    );
  };

  useEffect(() => {
    if (state === 'loading') refresh();
  }, [state]);

  useEffect(() => {
    const ended = () => {
      setSession(undefined);
      setError('Your session ended: sign in again.');
      setState('signed-out');
    };
    addEventListener(sessionEndedEvent, ended);
    return () => removeEventListener(sessionEndedEvent, ended);
  }, []);

  useEffect(() => {
    if (state !== 'ready' || !session?.workspace) return;
    // The plugin host loads or unloads plugins just after the license event: read the pages again then, and once more a moment later.
    return startLive([], setLive, () => {
      refresh();
      setTimeout(refresh, 2000);
    });
  }, [state, session?.workspace]);

  // Focus moves to the new page's heading, so keyboard and screen-reader users hear where they are.
  // Not on the first load, where the skip link stays the first stop.
  const firstRoute = useRef(true);
  useEffect(() => {
    setMenuOpen(false);
    if (firstRoute.current) firstRoute.current = false;
    else requestAnimationFrame(() => document.getElementById('page-title')?.focus({ preventScroll: true }));
  }, [route]);

  if (state === 'signed-out')
    return (
      <LoginPage
        error={error}
        onSignedIn={() => {
          setState('loading');
          if (!route || route === 'login') navigate('dashboard');
        }}
      />
    );
  if (!session)
    return (
      <main class="centered" aria-busy="true">
        <p>Loading…</p>
      </main>
    );

  const items = navItems(session);
  const groups = [...new Set(items.map((i) => i.group))].sort((a, b) => groupRank(a) - groupRank(b));
  const page = route || 'dashboard';
  const top = page.split('/')[0];
  document.title = `${items.find((i) => i.route === page)?.title ?? 'itops'} · itops`;

  return (
    <SessionContext.Provider value={{ session, refresh }}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <div class="shell">
        <header class="topbar">
          <button type="button" class="menu-button" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
            Menu
          </button>
          <a class="brand" href="/console/dashboard">
            itops
          </a>
          <label class="workspace">
            <span>Workspace</span>
            <select
              value={session.workspace}
              onChange={(e) => {
                chooseWorkspace((e.target as HTMLSelectElement).value);
                refresh();
              }}
            >
              {session.workspaces.map((w) => (
                <option key={w} value={w}>
                  {w}
                </option>
              ))}
            </select>
          </label>
          <span class={`live ${live ? 'live-on' : ''}`} role="status">
            {live ? 'Live' : 'Offline'}
          </span>
          <ThemeToggle />
          <button
            type="button"
            onClick={async () => {
              await api.logout().catch(() => undefined);
              forgetSession();
              setError(undefined);
              setSession(undefined);
              setState('signed-out');
              navigate('login');
            }}
          >
            Sign out
          </button>
        </header>
        <nav id="nav" class={menuOpen ? 'nav open' : 'nav'} aria-label="Console">
          {groups.map((group) => (
            <div key={group} class="nav-group">
              <h2>{group}</h2>
              <ul>
                {items
                  .filter((i) => i.group === group)
                  .map((i) => (
                    <li key={i.route}>
                      <a
                        href={`/console/${i.route}`}
                        aria-current={top === i.route.split('/')[0] && (page === i.route || page.startsWith(`${i.route}/`)) ? 'page' : undefined}
                      >
                        {i.title}
                      </a>
                    </li>
                  ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" class="content">
          {session.workspace ? (
            <Page key={session.workspace} route={page} session={session} />
          ) : (
            <p>You are not a member of any workspace yet. Ask a workspace administrator for an invitation.</p>
          )}
        </main>
      </div>
    </SessionContext.Provider>
  );
}

function Page(props: { route: string; session: Session }) {
  const top = props.route.split('/')[0];
  switch (top) {
    case 'dashboard':
      return <DashboardPage />;
    case 'alerts':
      return <AlertsPage />;
    case 'channels':
      return <ChannelsPage />;
    case 'license':
      return <LicensePage />;
    case 'profile':
      return <ProfilePage />;
  }
  // A plugin page, or a record below it (`sla/services/<id>`), while its plugin declares it.
  const plugin = props.session.pages.find((p) => props.route === p.path || props.route.startsWith(`${p.path}/`));
  if (plugin) {
    const View = pluginViews[`${plugin.plugin}:${plugin.path}`];
    const id = props.route.slice(plugin.path.length + 1) || undefined;
    if (View) return <View id={id} />;
    // Keyed by the page: another page starts with its own form, notice and offset.
    if (!id) return <PluginPage key={`${plugin.plugin}:${plugin.path}`} page={plugin} />;
    if (plugin.record) return <PluginRecordPage key={`${plugin.plugin}:${props.route}`} page={plugin} id={decodeURIComponent(id)} />;
  }
  return (
    <>
      <h1 id="page-title" tabIndex={-1}>
        Page not found
      </h1>
      <p>
        Nothing is at /console/{props.route}. A plugin's page disappears when its license ends. <a href="/console/dashboard">Back to the dashboard</a>
      </p>
    </>
  );
}
