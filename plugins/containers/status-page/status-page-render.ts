import { createHash } from 'node:crypto';
import type { ComponentStatus } from './status-components.ts';
import type { IncidentStatus, IncidentView, MaintenanceView } from './status-posts.handlers.ts';
import type { UptimeSummary } from './status-uptime.ts';

export interface PageComponent {
  id: string;
  name: string;
  description: string | null;
  groupId: string | null;
  status: ComponentStatus;
  since: Date | null;
  uptime: UptimeSummary;
  /** Left off the page while paused. */
  hideWhenPaused: boolean;
}

export interface PageModel {
  /** The page's public slug (never the workspace id). */
  workspace: string;
  /** The workspace's display name, the page's title. */
  title: string;
  /** Staff posts: open and recently resolved incidents, and maintenance windows not over yet. */
  incidents: IncidentView[];
  maintenances: MaintenanceView[];
  generatedAt: Date;
  groups: { id: string; name: string; description: string | null }[];
  components: PageComponent[];
  /** URL of the page's live stream (same origin). */
  eventsUrl: string;
}

/** Stroked 16×16 symbols drawn inline: no emoji or symbol font is needed to see them. */
const svg = (d: string) =>
  `<svg viewBox="0 0 16 16" width="16" height="16" focusable="false" aria-hidden="true"><path d="${d}" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
export const icons = {
  check: svg('M3 8.5l3 3 7-7'),
  warning: svg('M8 2.5v7M8 13v.5'),
  cross: svg('M4 4l8 8M12 4l-8 8'),
  clock: svg('M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13M8 4.5V8l2.5 1.5'),
  pause: svg('M5.5 3.5v9M10.5 3.5v9'),
  question: svg('M5.5 6a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5M8 13v.5'),
  search: svg('M7 2a5 5 0 1 0 0 10a5 5 0 1 0 0-10M10.5 10.5l4 4'),
  eye: svg('M1.5 8s2.5-4.5 6.5-4.5 6.5 4.5 6.5 4.5-2.5 4.5-6.5 4.5S1.5 8 1.5 8M8 6.5v3'),
} as const;
type Icon = keyof typeof icons;

/** Words first, colour second: every status is said in text, with a symbol for a quick scan. */
export const statusText: Record<ComponentStatus, { label: string; icon: Icon }> = {
  operational: { label: 'Operational', icon: 'check' },
  degraded: { label: 'Degraded performance', icon: 'warning' },
  major_outage: { label: 'Major outage', icon: 'cross' },
  maintenance: { label: 'Under maintenance', icon: 'clock' },
  paused: { label: 'Paused', icon: 'pause' },
  unknown: { label: 'No data', icon: 'question' },
};

export const incidentText: Record<IncidentStatus, { label: string; icon: Icon }> = {
  investigating: { label: 'Investigating', icon: 'search' },
  identified: { label: 'Identified', icon: 'warning' },
  monitoring: { label: 'Monitoring', icon: 'eye' },
  resolved: { label: 'Resolved', icon: 'check' },
};

const rank: Record<ComponentStatus, number> = { unknown: 0, paused: 0, operational: 1, maintenance: 2, degraded: 3, major_outage: 4 };

/** The headline over all components (the inline script computes the same when a status changes). */
export function overallStatus(all: ComponentStatus[]): { status: ComponentStatus; label: string } {
  // A paused component is nobody's concern: it neither worsens the headline nor counts as no data.
  const statuses = all.filter((s) => s !== 'paused');
  const worst = statuses.reduce<ComponentStatus>((w, s) => (rank[s] > rank[w] ? s : w), 'unknown');
  if (worst === 'major_outage') return { status: worst, label: 'Major outage' };
  if (worst === 'degraded') return { status: worst, label: 'Degraded performance' };
  if (worst === 'maintenance') return { status: worst, label: 'Maintenance in progress' };
  if (worst === 'operational') {
    return { status: worst, label: statuses.every((s) => s === 'operational') ? 'All systems operational' : 'Operational (some components have no data yet)' };
  }
  return { status: 'unknown', label: 'No status data yet' };
}

export const escapeHtml = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const timeTag = (d: Date) => `<time datetime="${d.toISOString()}">${utc(d)}</time>`;
const pct = (p: number | null) => (p === null ? 'no data' : `${p} % uptime`);
const short: Record<ComponentStatus | 'no_data', string> = {
  operational: 'o',
  degraded: 'd',
  major_outage: 'x',
  maintenance: 'm',
  paused: 'n',
  unknown: 'n',
  no_data: 'n',
};

const style = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;--card:#f6f8fa;--line:#d0d7de;--o:#1a7f37;--d:#9a6700;--x:#cf222e;--m:#0969da;--n:#59636e;--i:#cf222e;--id:#9a6700;--mo:#0969da;--r:#1a7f37}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;--line:#30363d;--o:#3fb950;--d:#d29922;--x:#f85149;--m:#4493f8;--n:#9198a1;--i:#f85149;--id:#d29922;--mo:#4493f8;--r:#3fb950}}
*{box-sizing:border-box}body{font:16px/1.5 system-ui,sans-serif;margin:0;color:var(--fg);background:var(--bg)}
.wrap{max-width:56rem;margin:0 auto;padding:1rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}h3{font-size:1.05rem;margin:1rem 0 .25rem}
.overall{border:2px solid var(--st);border-radius:.5rem;padding:.75rem 1rem;font-size:1.15rem;font-weight:600;margin:0}
.component{border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin:.5rem 0;list-style:none;background:var(--card)}
ul.list{padding:0;margin:0}.head{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}.name{font-weight:600}
.state{font-weight:600;color:var(--st)}.icon{display:inline-block;min-width:1.2em;text-align:center;vertical-align:-.15em}.icon svg{display:block;margin:auto}
.desc,.since,.summary,.muted{color:var(--muted);margin:.25rem 0;font-size:.9rem}
[data-status=operational]{--st:var(--o)}[data-status=degraded]{--st:var(--d)}[data-status=major_outage]{--st:var(--x)}[data-status=maintenance]{--st:var(--m)}[data-status=unknown],[data-status=paused]{--st:var(--n)}
.bars{display:grid;grid-template-columns:repeat(90,1fr);gap:2px;height:2rem;margin:.5rem 0 .25rem}
.bars i{display:block;border-radius:2px;background:var(--n)}.bars .o{background:var(--o)}.bars .d{background:var(--d)}.bars .x{background:var(--x)}.bars .m{background:var(--m)}.bars .n{opacity:.35}
.axis{display:flex;justify-content:space-between;color:var(--muted);font-size:.8rem;margin:0}
#incidents li{margin:.25rem 0}#incidents{padding-left:1.25rem}
.post{border:1px solid var(--line);border-left:4px solid var(--st);border-radius:.5rem;padding:.5rem 1rem;margin:.5rem 0;background:var(--card)}
.post h3{margin:.25rem 0}.updates{list-style:none;padding:0;margin:.25rem 0}.updates li{margin:.5rem 0}.updates p{margin:.1rem 0}
[data-state=investigating]{--st:var(--i)}[data-state=identified]{--st:var(--id)}[data-state=monitoring]{--st:var(--mo)}[data-state=resolved]{--st:var(--r)}[data-state=scheduled]{--st:var(--m)}footer{color:var(--muted);font-size:.85rem;margin:2rem 0 1rem}
#notice{border:1px solid var(--m);border-radius:.5rem;padding:.5rem 1rem}
`;

/**
 * Keeps the page current while it is open; the page is complete without it. What comes over the
 * stream is set as text (textContent), never as markup; the only markup it sets is its own icons.
 */
const script = `(() => {
const text = ${JSON.stringify(statusText)};
const incidentText = ${JSON.stringify(incidentText)};
const icons = ${JSON.stringify(icons)};
const rank = ${JSON.stringify(rank)};
const short = ${JSON.stringify(short)};
const $ = (id) => document.getElementById(id);
const utc = (iso) => iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : '';
const announcer = $('announcer');
const say = (message) => { const p = document.createElement('p'); p.textContent = message; announcer.append(p); while (announcer.children.length > 5) announcer.firstElementChild.remove(); };
const components = () => [...document.querySelectorAll('[data-component]')];
const h = (tag, props, ...children) => { const el = Object.assign(document.createElement(tag), props || {}); el.append(...children.filter((c) => c !== null && c !== undefined)); return el; };
const icon = (name) => { const span = h('span', { className: 'icon' }); span.setAttribute('aria-hidden', 'true'); span.innerHTML = icons[name]; return span; };
const time = (iso) => h('time', { dateTime: iso || '', textContent: utc(iso) });
const affects = (ids) => { const names = ids.map((id) => document.querySelector('[data-component="' + CSS.escape(id) + '"]')).filter(Boolean).map((el) => el.dataset.name); return names.length ? h('p', { className: 'muted', textContent: 'Affects: ' + names.join(', ') }) : null; };
function incidentPost(i) {
  const post = h('article', { className: 'post' });
  post.dataset.incident = i.id; post.dataset.state = i.status;
  const state = h('p', { className: 'state' }, icon(incidentText[i.status].icon), ' ', h('span', { className: 'label', textContent: incidentText[i.status].label }));
  const updates = h('ol', { className: 'updates' }, ...i.updates.slice().reverse().map((u) => h('li', null, h('strong', { textContent: incidentText[u.status].label }), ' ', h('span', { className: 'muted' }, time(u.createdAt)), h('p', { textContent: u.message }))));
  post.append(h('h3', { textContent: i.title }), state, affects(i.componentIds) || '', updates);
  return post;
}
function maintenancePost(m) {
  const post = h('article', { className: 'post' });
  post.dataset.maintenance = m.id; post.dataset.state = 'scheduled';
  const now = new Date().toISOString();
  const state = h('p', { className: 'state' }, icon('clock'), ' ', h('span', { className: 'label', textContent: m.startsAt <= now ? 'In progress' : 'Scheduled' }));
  post.append(h('h3', { textContent: m.title }), state, h('p', null, 'From ', time(m.startsAt), ' to ', time(m.endsAt)), m.description ? h('p', { textContent: m.description }) : '', affects(m.componentIds) || '');
  return post;
}
function showIncident(i, announce) {
  document.querySelector('[data-incident="' + CSS.escape(i.id) + '"]')?.remove();
  if (!i.deleted) $(i.status === 'resolved' ? 'resolved-posts' : 'incident-posts').prepend(incidentPost(i));
  if (announce && !i.deleted) say(i.title + ': ' + incidentText[i.status].label);
}
function showMaintenance(m, announce) {
  document.querySelector('[data-maintenance="' + CSS.escape(m.id) + '"]')?.remove();
  if (!m.deleted) {
    const list = $('maintenances');
    const after = [...list.children].find((el) => el.dataset.starts > m.startsAt);
    const post = maintenancePost(m);
    post.dataset.starts = m.startsAt;
    list.insertBefore(post, after || null);
    if (announce) say('Maintenance: ' + m.title);
  }
}
function overall(all) {
  const statuses = all.filter((s) => s !== 'paused');
  const worst = statuses.reduce((w, s) => (rank[s] > rank[w] ? s : w), 'unknown');
  if (worst === 'major_outage') return 'Major outage';
  if (worst === 'degraded') return 'Degraded performance';
  if (worst === 'maintenance') return 'Maintenance in progress';
  if (worst === 'operational') return statuses.every((s) => s === 'operational') ? 'All systems operational' : 'Operational (some components have no data yet)';
  return 'No status data yet';
}
function refresh() {
  const all = components();
  const statuses = all.map((el) => el.dataset.status).filter((s) => s !== 'paused');
  const worst = statuses.reduce((w, s) => (rank[s] > rank[w] ? s : w), 'unknown');
  const box = $('overall');
  box.dataset.status = worst;
  box.querySelector('.icon').innerHTML = icons[text[worst].icon];
  box.querySelector('.label').textContent = overall(statuses);
  const list = $('incidents');
  list.replaceChildren();
  for (const el of all) {
    const s = el.dataset.status;
    if (s === 'operational' || s === 'unknown' || s === 'paused') continue;
    const li = document.createElement('li');
    li.dataset.status = s;
    const name = document.createElement('strong');
    name.textContent = el.dataset.name;
    const state = document.createElement('span');
    state.className = 'state';
    state.textContent = ' ' + text[s].label;
    const since = document.createElement('time');
    since.dateTime = el.dataset.since || '';
    since.textContent = utc(el.dataset.since);
    li.append(name, state, document.createTextNode(el.dataset.since ? ' since ' : ''), since);
    list.append(li);
  }
  $('no-incidents').hidden = list.children.length > 0 || $('incident-posts').children.length > 0;
  $('resolved').hidden = $('resolved-posts').children.length === 0;
  $('no-maintenance').hidden = $('maintenances').children.length > 0;
}
function update(c, announce) {
  const el = document.querySelector('[data-component="' + CSS.escape(c.id) + '"]');
  if (!el || !text[c.status]) return;
  const changed = el.dataset.status !== c.status;
  el.dataset.status = c.status;
  el.dataset.since = c.since || '';
  el.hidden = c.status === 'paused' && el.dataset.hidePaused === 'true';
  el.querySelector('.icon').innerHTML = icons[text[c.status].icon];
  el.querySelector('.label').textContent = text[c.status].label;
  const since = el.querySelector('.since time');
  if (since) { since.dateTime = c.since || ''; since.textContent = utc(c.since); }
  el.querySelector('.since').hidden = !c.since;
  const today = el.querySelector('.bars i:last-child');
  const was = today && Object.keys(short).find((s) => short[s] === today.className && s !== 'no_data');
  if (today && c.status !== 'unknown' && rank[c.status] > rank[was || 'unknown']) today.className = short[c.status];
  if (changed && announce) say(el.dataset.name + ': ' + text[c.status].label);
}
const source = new EventSource(document.body.dataset.events);
source.addEventListener('snapshot', (e) => {
  const snapshot = JSON.parse(e.data);
  for (const c of snapshot.components) update(c, true);
  $('incident-posts').replaceChildren(); $('resolved-posts').replaceChildren(); $('maintenances').replaceChildren();
  for (const i of (snapshot.incidents || []).slice().reverse()) showIncident(i, false);
  for (const m of snapshot.maintenances || []) showMaintenance(m, false);
  refresh(); $('live').textContent = 'Live: this page updates by itself.'; });
source.addEventListener('component', (e) => { update(JSON.parse(e.data), true); refresh(); });
source.addEventListener('incident', (e) => { showIncident(JSON.parse(e.data), true); refresh(); });
source.addEventListener('maintenance', (e) => { showMaintenance(JSON.parse(e.data), true); refresh(); });
source.addEventListener('page', () => { $('notice').hidden = false; say('The components of this page changed. Reload the page to see them.'); });
source.addEventListener('error', () => { $('live').textContent = 'Live updates interrupted; reconnecting…'; });
})();`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Only the page's own inline style and script, and its own event stream. */
export const statusPageHeaders: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; script-src ${sha256(script)}; style-src ${sha256(style)}; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const head = (title: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>${escapeHtml(title)}</title><style>${style}</style></head>`;

const state = (status: ComponentStatus) =>
  `<span class="icon" aria-hidden="true">${icons[statusText[status].icon]}</span> <span class="label">${statusText[status].label}</span>`;

const namesOf = (ids: string[], components: PageComponent[]) => {
  const names = ids.map((id) => components.find((c) => c.id === id)?.name).filter((n): n is string => n !== undefined);
  return names.length ? `<p class="muted">Affects: ${names.map(escapeHtml).join(', ')}</p>` : '';
};

/** The same markup the inline script builds for a post that arrives live. */
function renderIncident(i: IncidentView, components: PageComponent[]): string {
  const updates = [...i.updates]
    .reverse()
    .map(
      (u) =>
        `<li><strong>${incidentText[u.status].label}</strong> <span class="muted">${timeTag(new Date(u.createdAt as string))}</span><p>${escapeHtml(u.message)}</p></li>`,
    )
    .join('');
  return `<article class="post" data-incident="${i.id}" data-state="${i.status}"><h3>${escapeHtml(i.title)}</h3><p class="state"><span class="icon" aria-hidden="true">${
    icons[incidentText[i.status].icon]
  }</span> <span class="label">${incidentText[i.status].label}</span></p>${namesOf(i.componentIds, components)}<ol class="updates">${updates}</ol></article>`;
}

function renderMaintenance(m: MaintenanceView, components: PageComponent[], now: Date): string {
  const started = Date.parse(m.startsAt) <= now.getTime();
  return `<article class="post" data-maintenance="${m.id}" data-state="scheduled" data-starts="${m.startsAt}"><h3>${escapeHtml(m.title)}</h3><p class="state"><span class="icon" aria-hidden="true">${icons.clock}</span> <span class="label">${started ? 'In progress' : 'Scheduled'}</span></p><p>From ${timeTag(new Date(m.startsAt))} to ${timeTag(new Date(m.endsAt))}</p>${
    m.description ? `<p>${escapeHtml(m.description)}</p>` : ''
  }${namesOf(m.componentIds, components)}</article>`;
}

function renderComponent(c: PageComponent): string {
  const bars = c.uptime.days.map((d) => `<i class="${short[d.status]}" title="${d.date}: ${pct(d.uptimePercent)}"></i>`).join('');
  const bad = c.uptime.days.filter((d) => d.status === 'major_outage' || d.status === 'degraded' || d.status === 'maintenance');
  const worstDays = bad.length
    ? `<details><summary>Days with incidents or maintenance (${bad.length})</summary><ul>${bad
        .map(
          (d) =>
            `<li><time datetime="${d.date}">${d.date}</time>: ${statusText[d.status as ComponentStatus].label.toLowerCase()}, ${pct(d.uptimePercent)}</li>`,
        )
        .join('')}</ul></details>`
    : '';
  const since = c.since ?? undefined;
  return `<li class="component" id="c-${c.id}" data-component="${c.id}" data-name="${escapeHtml(c.name)}" data-status="${c.status}" data-since="${since ? since.toISOString() : ''}" data-hide-paused="${c.hideWhenPaused}"${
    c.hideWhenPaused && c.status === 'paused' ? ' hidden' : ''
  }>
<div class="head"><span class="name">${escapeHtml(c.name)}</span><span class="state">${state(c.status)}</span></div>
${c.description ? `<p class="desc">${escapeHtml(c.description)}</p>` : ''}<p class="since"${since ? '' : ' hidden'}>Since ${since ? timeTag(since) : '<time></time>'}</p>
<p class="summary">${c.uptime.uptimePercent === null ? 'No uptime data in the last 90 days' : `${c.uptime.uptimePercent} % uptime over the last 90 days`}</p>
<div class="bars" aria-hidden="true">${bars}</div><p class="axis" aria-hidden="true"><span>90 days ago</span><span>Today</span></p>${worstDays}</li>`;
}

/** The public page: complete without JavaScript; the inline script only keeps it current. */
export function renderStatusPage(model: PageModel): string {
  const statuses = model.components.map((c) => c.status);
  const overall = overallStatus(statuses);
  const incidents = model.components.filter((c) => c.status !== 'operational' && c.status !== 'unknown' && c.status !== 'paused');
  const loose = model.components.filter((c) => c.groupId === null || !model.groups.some((g) => g.id === c.groupId));
  const sections = [
    loose.length ? `<ul class="list">${loose.map(renderComponent).join('')}</ul>` : '',
    ...model.groups.map((g) => {
      const members = model.components.filter((c) => c.groupId === g.id);
      if (members.length === 0) return '';
      return `<section class="group" aria-labelledby="g-${g.id}"><h3 id="g-${g.id}">${escapeHtml(g.name)}</h3>${
        g.description ? `<p class="muted">${escapeHtml(g.description)}</p>` : ''
      }<ul class="list">${members.map(renderComponent).join('')}</ul></section>`;
    }),
  ].join('');
  const title = `${model.title} status`;
  const open = model.incidents.filter((i) => i.status !== 'resolved');
  const resolved = model.incidents.filter((i) => i.status === 'resolved');
  return `${head(title)}
<body data-events="${escapeHtml(model.eventsUrl)}"><a class="skip" href="#components-heading">Skip to components</a>
<div class="wrap"><header><h1>${escapeHtml(title)}</h1></header>
<main>
<section aria-labelledby="overall-heading"><h2 id="overall-heading" class="sr">Current status</h2>
<p class="overall" id="overall" data-status="${overall.status}"><span class="icon" aria-hidden="true">${icons[statusText[overall.status].icon]}</span> <span class="label">${overall.label}</span></p></section>
<div id="announcer" class="sr" aria-live="polite"></div>
<p id="notice" hidden>The components of this page changed. <a href="">Reload the page</a> to see them.</p>
<section aria-labelledby="incidents-heading"><h2 id="incidents-heading">Active incidents</h2>
<div id="incident-posts">${open.map((i) => renderIncident(i, model.components)).join('')}</div>
<ul id="incidents">${incidents
    .map(
      (c) =>
        `<li data-status="${c.status}"><strong>${escapeHtml(c.name)}</strong><span class="state"> ${statusText[c.status].label}</span>${c.since ? ` since ${timeTag(c.since)}` : ''}</li>`,
    )
    .join('')}</ul><p id="no-incidents"${incidents.length || open.length ? ' hidden' : ''}>No active incidents.</p></section>
<section aria-labelledby="maintenance-heading"><h2 id="maintenance-heading">Scheduled maintenance</h2>
<div id="maintenances">${model.maintenances.map((m) => renderMaintenance(m, model.components, model.generatedAt)).join('')}</div><p id="no-maintenance"${
    model.maintenances.length ? ' hidden' : ''
  }>No maintenance scheduled.</p></section>
<section aria-labelledby="components-heading"><h2 id="components-heading" tabindex="-1">Components</h2>${sections}</section>
<section id="resolved" aria-labelledby="resolved-heading"${resolved.length ? '' : ' hidden'}><h2 id="resolved-heading">Recently resolved incidents</h2>
<div id="resolved-posts">${resolved.map((i) => renderIncident(i, model.components)).join('')}</div></section>
</main>
<footer><p>Updated ${timeTag(model.generatedAt)}. <span id="live">Reload the page for the latest status.</span></p><p>Uptime counts major outages as down and leaves maintenance and time without data out.</p></footer></div>
<script>${script}</script></body></html>`;
}

/** What /status answers for a workspace without a page (or none named): the same for both, so nothing is learned. */
export function renderNoStatusPage(): string {
  return `${head('Status page not found')}
<body><div class="wrap"><header><h1>Status page not found</h1></header><main><p>There is no status page at this address.</p>
<p class="muted">A workspace's status page is at <code>/status?workspace=&lt;slug&gt;</code> once it publishes one and has components.</p></main></div></body></html>`;
}
