import { randomUUID } from 'node:crypto';
import { call } from '../../../core/plugin-api/testing.ts';
import { startAutomation } from '../automation.testkit.ts';
import { sha256Signature } from '../webhooks/hmac-signature.ts';

/** The webhook secret acme's GitHub signs with in these tests. */
export const acmeSecret = 'acme-github-secret';

/** The automation world with acme's GitHub secret set, and `deliver`: a delivery as GitHub sends it (exact bytes, signed). */
export async function githubWorld(t: Parameters<typeof startAutomation>[0], env: Record<string, string> = {}, plugins: unknown[] = []) {
  const w = await startAutomation(t, { env, plugins });
  const set = await w.write('POST', '/api/v1/workspace/secrets/automation.github_webhook_secret', w.acmeAdmin, { value: acmeSecret });
  if (set.status >= 300) throw new Error(`secret: ${set.status} ${set.text}`);
  const deliver = (event: string, payload: unknown, options: { delivery?: string; secret?: string; workspace?: string; raw?: string } = {}) => {
    const raw = options.raw ?? JSON.stringify(payload);
    return call(w.kernel, 'POST', `/api/v1/integrations/github/webhook?workspace=${options.workspace ?? 'acme'}`, {
      raw,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/044aadd',
        'x-github-event': event,
        'x-github-delivery': options.delivery ?? randomUUID(),
        'x-github-hook-id': '292430182',
        'x-hub-signature-256': sha256Signature(options.secret ?? acmeSecret, raw),
      },
    });
  };
  return { ...w, deliver };
}

/** Deliveries shaped as GitHub documents them ("Webhook events and payloads"), trimmed to what matters. */
const repository = {
  id: 1296269,
  name: 'shop',
  full_name: 'acme/shop',
  html_url: 'https://github.com/acme/shop',
  owner: { login: 'acme', id: 1 },
  pushed_at: 1733300000,
};
const sender = { login: 'octocat', id: 583231, type: 'User' };

export const pushPayload = {
  ref: 'refs/heads/main',
  before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
  after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
  created: false,
  deleted: false,
  forced: false,
  compare: 'https://github.com/acme/shop/compare/6113728f27ae...0d1a26e67d8f',
  commits: [
    {
      id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      message: 'Fix checkout timeout (OPS-42)\n\nRaises the gateway timeout.',
      timestamp: '2026-12-04T10:00:00Z',
      url: 'https://github.com/acme/shop/commit/0d1a26e67d8f',
      author: { name: 'Mona', email: 'mona@acme.test', username: 'mona' },
    },
  ],
  head_commit: {
    id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    message: 'Fix checkout timeout (OPS-42)\n\nRaises the gateway timeout.',
    timestamp: '2026-12-04T10:00:00Z',
    url: 'https://github.com/acme/shop/commit/0d1a26e67d8f',
  },
  pusher: { name: 'mona', email: 'mona@acme.test' },
  repository,
  sender,
};

export const deploymentStatusPayload = {
  action: 'created',
  deployment_status: {
    id: 1,
    state: 'success',
    environment: 'production',
    description: 'Deployed SHOP-7',
    target_url: 'https://ci.acme.test/deploy/1',
    created_at: '2026-12-04T10:05:00Z',
    updated_at: '2026-12-04T10:05:00Z',
    creator: { login: 'octocat' },
  },
  deployment: {
    id: 42,
    sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    ref: 'main',
    task: 'deploy',
    environment: 'production',
    created_at: '2026-12-04T10:04:00Z',
  },
  repository,
  sender,
};

export const releasePayload = {
  action: 'published',
  release: {
    id: 7,
    tag_name: 'v1.4.0',
    target_commitish: 'main',
    name: 'v1.4.0',
    body: 'Fixes OPS-42',
    draft: false,
    prerelease: false,
    created_at: '2026-12-04T11:00:00Z',
    published_at: '2026-12-04T11:01:00Z',
    html_url: 'https://github.com/acme/shop/releases/tag/v1.4.0',
    author: { login: 'octocat' },
  },
  repository,
  sender,
};

export function workflowRunPayload(conclusion: 'success' | 'failure', action: 'completed' | 'in_progress' = 'completed') {
  return {
    action,
    workflow_run: {
      id: 30433642,
      name: 'Build',
      head_branch: 'main',
      head_sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      display_title: 'Fix checkout timeout (OPS-42)',
      run_number: 562,
      run_attempt: 1,
      event: 'push',
      status: action === 'completed' ? 'completed' : 'in_progress',
      conclusion: action === 'completed' ? conclusion : null,
      html_url: 'https://github.com/acme/shop/actions/runs/30433642',
      created_at: '2026-12-04T10:01:00Z',
      updated_at: '2026-12-04T10:03:00Z',
      actor: { login: 'mona' },
      head_commit: { id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', message: 'Fix checkout timeout (OPS-42)' },
    },
    workflow: { id: 159038, name: 'Build', path: '.github/workflows/build.yml' },
    repository,
    sender,
  };
}
