import { createHash } from 'node:crypto';

const escapeHtml = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The page's only style, allowed by its hash: no script runs on this page at all. */
const style = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #4a5360; --line: #8a94a3; --accent: #0b57d0; --error: #b3261e; --panel: #f4f6f9; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8eaed; --bg: #14171b; --muted: #b4bcc8; --line: #6f7a89; --accent: #8ab4f8; --error: #f2b8b5; --panel: #1e2227; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 34rem; margin: 3rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
p { color: var(--muted); margin: .25rem 0 1rem; }
fieldset { border: 1px solid var(--line); border-radius: .5rem; padding: .75rem 1rem 1rem; margin: 0 0 1.25rem; }
legend { font-weight: 600; padding: 0 .35rem; }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
.hint { display: block; font-weight: 400; font-size: .9rem; color: var(--muted); }
input { width: 100%; font: inherit; padding: .55rem .65rem; border: 1px solid var(--line); border-radius: .375rem; color: var(--fg); background: var(--bg); }
input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
input[aria-invalid="true"] { border-color: var(--error); border-width: 2px; }
.problem { display: block; color: var(--error); font-size: .9rem; margin-top: .25rem; }
.summary { border: 2px solid var(--error); border-radius: .5rem; padding: .5rem 1rem; margin: 0 0 1.25rem; background: var(--panel); }
.summary h2 { margin-top: .25rem; color: var(--error); }
button { font: inherit; font-weight: 600; padding: .6rem 1.2rem; border: 0; border-radius: .375rem; background: var(--accent); color: var(--bg); cursor: pointer; }
a { color: var(--accent); }
code { background: var(--panel); padding: .1rem .3rem; border-radius: .25rem; }
`;

const styleHash = createHash('sha256').update(style).digest('base64');

/** Nothing but this page's own style; forms post only here; never framed. */
export const setupPagePolicy = [
  "default-src 'none'",
  `style-src 'sha256-${styleHash}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const setupPageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': setupPagePolicy,
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · itops</title>
<style>${style}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

export interface SetupValues {
  email?: string;
  workspaceId?: string;
  workspaceName?: string;
}

export type SetupProblems = Partial<Record<'email' | 'password' | 'passwordConfirmation' | 'workspaceId' | 'workspaceName', string>>;

const labels: Record<keyof SetupProblems, string> = {
  email: 'Email',
  password: 'Password',
  passwordConfirmation: 'Password again',
  workspaceId: 'Workspace id',
  workspaceName: 'Workspace name',
};

function field(
  name: keyof SetupProblems,
  type: string,
  problems: SetupProblems,
  options: { value?: string; autocomplete: string; hint?: string; pattern?: string; minlength?: number; maxlength: number },
): string {
  const problem = problems[name];
  const described = [options.hint ? `${name}-hint` : '', problem ? `${name}-problem` : ''].filter(Boolean).join(' ');
  return `<label for="${name}">${labels[name]}</label>${options.hint ? `<span class="hint" id="${name}-hint">${escapeHtml(options.hint)}</span>` : ''}
<input id="${name}" name="${name}" type="${type}" required autocomplete="${options.autocomplete}" maxlength="${options.maxlength}"${
    options.minlength ? ` minlength="${options.minlength}"` : ''
  }${options.pattern ? ` pattern="${options.pattern}"` : ''}${options.value !== undefined ? ` value="${escapeHtml(options.value)}"` : ''}${
    described ? ` aria-describedby="${described}"` : ''
  }${problem ? ' aria-invalid="true"' : ''}>
${problem ? `<span class="problem" id="${name}-problem">${escapeHtml(problem)}</span>` : ''}`;
}

/** The form: the first platform admin's account and the first workspace. */
export function renderSetupForm(token: string, values: SetupValues = {}, problems: SetupProblems = {}): string {
  const listed = Object.entries(problems) as [keyof SetupProblems, string][];
  const summary = listed.length
    ? `<div class="summary" role="alert" aria-labelledby="summary-title"><h2 id="summary-title">Please correct ${listed.length === 1 ? 'this' : 'these'}</h2><ul>${listed
        .map(([name, problem]) => `<li><a href="#${name}">${labels[name]}: ${escapeHtml(problem)}</a></li>`)
        .join('')}</ul></div>`
    : '';
  return page(
    'Set up itops',
    `<h1>Set up itops</h1>
<p>No one can sign in yet. Create the platform administrator and the first workspace; you become its administrator too. This link works once.</p>
${summary}
<form method="post" action="/setup" novalidate>
<input type="hidden" name="token" value="${escapeHtml(token)}">
<fieldset>
<legend>Your account</legend>
${field('email', 'email', problems, { value: values.email, autocomplete: 'username', maxlength: 254 })}
${field('password', 'password', problems, { autocomplete: 'new-password', minlength: 12, maxlength: 1024, hint: 'At least 12 characters.' })}
${field('passwordConfirmation', 'password', problems, { autocomplete: 'new-password', minlength: 12, maxlength: 1024 })}
</fieldset>
<fieldset>
<legend>First workspace</legend>
${field('workspaceName', 'text', problems, { value: values.workspaceName, autocomplete: 'organization', maxlength: 200 })}
${field('workspaceId', 'text', problems, {
  value: values.workspaceId,
  autocomplete: 'off',
  maxlength: 63,
  pattern: '[a-z0-9][a-z0-9\\-]{1,62}',
  hint: 'Lower-case letters, digits and dashes, e.g. acme. Used in the x-workspace-id header.',
})}
</fieldset>
<button type="submit">Create administrator and workspace</button>
</form>`,
  );
}

export function renderSetupDone(email: string, workspaceId: string): string {
  return page(
    'itops is set up',
    `<h1>itops is set up</h1>
<p role="status">${escapeHtml(email)} is the platform administrator and the administrator of the workspace <code>${escapeHtml(workspaceId)}</code>.</p>
<h2>Next</h2>
<ul>
<li>Sign in with <code>POST /api/v1/auth/login</code> and your email and password.</li>
<li>Browse the API at <a href="/docs">/docs</a>.</li>
</ul>`,
  );
}

/** A page that explains why the form is not offered (used or unknown link, installation already set up). */
export function renderSetupNotice(title: string, message: string): string {
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n<p>An administrator can create accounts with <code>POST /api/v1/users</code>; see <a href="/docs">/docs</a>.</p>`,
  );
}
