/** The GitHub events that become change events. */
export const changeKinds = ['push', 'deployment', 'deployment_status', 'release', 'workflow_run'] as const;
export type ChangeKind = (typeof changeKinds)[number];

export interface ChangeFields {
  kind: ChangeKind;
  repository: string | null;
  ref: string | null;
  sha: string | null;
  environment: string | null;
  status: string | null;
  actor: string | null;
  title: string | null;
  url: string | null;
  ticketKeys: string[];
  details: Record<string, unknown>;
  occurredAt: string;
}

/** Conclusions of a finished workflow run that count as a failed pipeline. */
const failedConclusions = new Set(['failure', 'timed_out', 'startup_failure']);

// GitHub's payloads, read field by field with fallbacks.
type Payload = Record<string, any>;

const text = (value: unknown, max = 500): string | null => (typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null);

/** Jira-style keys (`OPS-42`) named in commit messages and titles, for linking to tickets. */
export function ticketKeysIn(...texts: (string | null | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const value of texts) for (const match of (value ?? '').matchAll(/\b[A-Z][A-Z0-9]{1,9}-[1-9][0-9]{0,8}\b/g)) keys.add(match[0]);
  return [...keys].slice(0, 50);
}

/** The internal note a linked ticket gets: what changed, where, by whom. */
export function changeNote(change: ChangeFields): string {
  const where = [change.repository, change.ref ?? change.environment].filter(Boolean).join(' ');
  const what = [`GitHub ${change.kind.replace('_', ' ')}`, where && `in ${where}`, change.status && `(${change.status})`, change.actor && `by ${change.actor}`];
  const line = what.filter(Boolean).join(' ');
  return [change.title ? `${line}: ${change.title}` : line, change.url].filter(Boolean).join('\n').slice(0, 2000);
}

function when(...candidates: unknown[]): string {
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && !Number.isNaN(Date.parse(candidate))) return new Date(candidate).toISOString();
    if (typeof candidate === 'number' && Number.isFinite(candidate)) return new Date(candidate * 1000).toISOString();
  }
  return new Date().toISOString();
}

/**
 * What of a GitHub event a change event keeps, as GitHub documents the payloads: the repository,
 * ref and commit, the environment, who did it, its outcome and a link. Missing fields stay null.
 */
export function changeFromGithub(kind: ChangeKind, payload: Payload): ChangeFields {
  const repository = text(payload.repository?.full_name, 200);
  const actor = text(payload.sender?.login, 100);
  switch (kind) {
    case 'push': {
      const commits: Payload[] = Array.isArray(payload.commits) ? payload.commits.slice(0, 100) : [];
      const head = payload.head_commit ?? commits.at(-1);
      return {
        kind,
        repository,
        ref: text(payload.ref),
        sha: text(payload.after ?? head?.id, 64),
        environment: null,
        status: payload.deleted === true ? 'deleted' : payload.forced === true ? 'forced' : 'pushed',
        actor: actor ?? text(payload.pusher?.name, 100),
        title: text(head?.message?.split('\n')[0]),
        url: text(payload.compare ?? head?.url, 2000),
        ticketKeys: ticketKeysIn(...commits.map((commit) => commit.message), head?.message),
        details: { before: text(payload.before, 64), commits: commits.length },
        occurredAt: when(head?.timestamp, payload.repository?.pushed_at),
      };
    }
    case 'deployment': {
      const deployment = payload.deployment ?? {};
      return {
        kind,
        repository,
        ref: text(deployment.ref),
        sha: text(deployment.sha, 64),
        environment: text(deployment.environment, 200),
        status: text(payload.action, 50) ?? 'created',
        actor: actor ?? text(deployment.creator?.login, 100),
        title: text(deployment.description),
        url: text(deployment.url, 2000),
        ticketKeys: ticketKeysIn(deployment.description),
        details: { deploymentId: deployment.id ?? null, task: text(deployment.task, 100) },
        occurredAt: when(deployment.created_at),
      };
    }
    case 'deployment_status': {
      const status = payload.deployment_status ?? {};
      const deployment = payload.deployment ?? {};
      return {
        kind,
        repository,
        ref: text(deployment.ref),
        sha: text(deployment.sha, 64),
        environment: text(status.environment ?? deployment.environment, 200),
        status: text(status.state, 50),
        actor: actor ?? text(status.creator?.login, 100),
        title: text(status.description ?? deployment.description),
        url: text(status.target_url ?? status.log_url ?? status.url, 2000),
        ticketKeys: ticketKeysIn(status.description, deployment.description),
        details: { deploymentId: deployment.id ?? null },
        occurredAt: when(status.updated_at, status.created_at),
      };
    }
    case 'release': {
      const release = payload.release ?? {};
      return {
        kind,
        repository,
        ref: text(release.tag_name, 200),
        sha: null,
        environment: null,
        status: text(payload.action, 50),
        actor: actor ?? text(release.author?.login, 100),
        title: text(release.name ?? release.tag_name),
        url: text(release.html_url, 2000),
        ticketKeys: ticketKeysIn(release.name, release.body),
        details: { target: text(release.target_commitish, 200), prerelease: release.prerelease === true, draft: release.draft === true },
        occurredAt: when(release.published_at, release.created_at),
      };
    }
    case 'workflow_run': {
      const run = payload.workflow_run ?? {};
      return {
        kind,
        repository,
        ref: text(run.head_branch, 200),
        sha: text(run.head_sha, 64),
        environment: null,
        status: text(run.conclusion ?? run.status, 50),
        actor: actor ?? text(run.actor?.login, 100),
        title: text(run.display_title ?? run.name),
        url: text(run.html_url, 2000),
        ticketKeys: ticketKeysIn(run.head_commit?.message, run.display_title),
        details: {
          action: text(payload.action, 50),
          workflow: text(run.name ?? payload.workflow?.name, 200),
          runId: run.id ?? null,
          runNumber: run.run_number ?? null,
          runAttempt: run.run_attempt ?? null,
        },
        occurredAt: when(run.updated_at, run.created_at),
      };
    }
  }
}

/** A finished workflow run that failed: what `pipeline.failed` reports. */
export function failedPipeline(kind: ChangeKind, payload: Payload): boolean {
  return kind === 'workflow_run' && payload.action === 'completed' && failedConclusions.has(payload.workflow_run?.conclusion);
}
