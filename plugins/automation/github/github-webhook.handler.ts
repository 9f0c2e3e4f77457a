import { randomUUID } from 'node:crypto';
import {
  AppError,
  type DatabaseService,
  defineList,
  type EventsService,
  type OperationRequest,
  type SecretsService,
  type TicketAutomationService,
} from '../../../core/plugin-api/index.ts';
import { headerValue, signatureMatches } from '../webhooks/hmac-signature.ts';
import { type ChangeKind, changeFromGithub, changeKinds, changeNote, failedPipeline } from './github-change-events.ts';

export const changeRecorded = 'automation.change_recorded';
export const pipelineFailed = 'pipeline.failed';
/** The workspace secret (`automation.github_webhook_secret`) GitHub signs deliveries with. */
export const githubSecretName = 'github_webhook_secret';

export interface GithubDeps {
  database: DatabaseService;
  events: EventsService;
  secrets: SecretsService;
  enabled: () => boolean;
  /** The ticketing plugin's service, while it is loaded: changes naming `TCK-<n>` are linked to those tickets. */
  tickets: () => TicketAutomationService | undefined;
}

interface ChangeEventRow {
  id: string;
  source: 'github';
  kind: ChangeKind;
  repository: string | null;
  ref: string | null;
  sha: string | null;
  environment: string | null;
  status: string | null;
  actor: string | null;
  title: string | null;
  url: string | null;
  ticket_keys: string[];
  linked_ticket_ids: string[];
  occurred_at: Date;
  received_at: Date;
}

export const changeEvents = defineList({
  from: 'automation_change_event',
  sortable: { occurredAt: 'occurred_at', kind: 'kind', repository: 'repository' },
  defaultSort: 'occurredAt',
  equals: { kind: 'kind', repository: 'repository' },
  search: ['repository', 'ref', 'title', 'actor'],
  nullsLast: true,
  view: (row: ChangeEventRow) => ({
    id: row.id,
    source: row.source,
    kind: row.kind,
    repository: row.repository,
    ref: row.ref,
    sha: row.sha,
    environment: row.environment,
    status: row.status,
    actor: row.actor,
    title: row.title,
    url: row.url,
    ticketKeys: row.ticket_keys,
    linkedTicketIds: row.linked_ticket_ids,
    occurredAt: new Date(row.occurred_at).toISOString(),
    receivedAt: new Date(row.received_at).toISOString(),
  }),
});

const isChangeKind = (event: string): event is ChangeKind => (changeKinds as readonly string[]).includes(event);

/**
 * One GitHub delivery. The workspace comes from the URL GitHub was given; its secret must have
 * signed the exact bytes. A stored delivery id is stored once: GitHub's redeliveries are answered
 * as duplicates, so they cannot publish `pipeline.failed` twice.
 */
export async function receiveGithubWebhook(deps: GithubDeps, req: OperationRequest<Buffer, Record<string, never>, { workspace?: string }>) {
  if (!deps.enabled()) throw new AppError('not_found', 'The GitHub webhook is disabled');
  const workspace = req.query.workspace ?? headerValue(req.headers, 'x-workspace-id');
  if (!workspace) throw new AppError('bad_request', 'Name the workspace: ?workspace=<id> in the webhook URL');
  const secret = await deps.secrets.readToVerify(workspace, githubSecretName);
  if (!secret) throw new AppError('not_found', `The GitHub webhook is not set up for workspace ${workspace}`);
  const body = req.body ?? Buffer.alloc(0);
  if (!signatureMatches(secret, body, headerValue(req.headers, 'x-hub-signature-256'))) {
    throw new AppError('unauthorized', 'X-Hub-Signature-256 does not match the body');
  }
  const event = headerValue(req.headers, 'x-github-event') as string;
  const delivery = headerValue(req.headers, 'x-github-delivery') as string;
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('invalid_json', 'The delivery is not JSON: set the webhook content type to application/json');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new AppError('bad_request', 'The delivery is not a JSON object');
  if (!isChangeKind(event)) return { status: 202, body: { delivery, event, stored: false, duplicate: false, changeEventId: null } };

  const change = changeFromGithub(event, payload);
  return deps.database.forTenant(workspace).transaction(async (tx) => {
    const [inserted] = await tx.query<{ id: string }>(
      `INSERT INTO automation_change_event
         (id, tenant_id, source, kind, delivery_id, repository, ref, sha, environment, status, actor, title, url, ticket_keys, details, occurred_at)
       VALUES (?, ?, 'github', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, source, delivery_id) DO NOTHING RETURNING id`,
      [
        randomUUID(),
        workspace,
        change.kind,
        delivery,
        change.repository,
        change.ref,
        change.sha,
        change.environment,
        change.status,
        change.actor,
        change.title,
        change.url,
        change.ticketKeys,
        JSON.stringify(change.details),
        change.occurredAt,
      ],
    );
    if (!inserted) {
      const [existing] = await tx.query<{ id: string }>("SELECT id FROM automation_change_event WHERE source = 'github' AND delivery_id = ?", [delivery]);
      return { status: 200, body: { delivery, event, stored: true, duplicate: true, changeEventId: existing?.id ?? null } };
    }
    // In the change's own transaction: a change is recorded with its ticket notes, or not at all.
    const tickets = change.ticketKeys.length > 0 ? deps.tickets() : undefined;
    const linkedTicketIds = tickets ? await tickets.linkChange(tx, change.ticketKeys, { note: changeNote(change), url: change.url }, 'github') : [];
    if (linkedTicketIds.length > 0) await tx.query('UPDATE automation_change_event SET linked_ticket_ids = ? WHERE id = ?', [linkedTicketIds, inserted.id]);
    const summary = {
      changeEventId: inserted.id,
      source: 'github',
      kind: change.kind,
      repository: change.repository,
      ref: change.ref,
      sha: change.sha,
      environment: change.environment,
      status: change.status,
      ticketKeys: change.ticketKeys,
      linkedTicketIds,
      occurredAt: change.occurredAt,
    };
    await deps.events.publish(tx, { topic: changeRecorded, tenantId: workspace, payload: summary });
    if (failedPipeline(change.kind, payload)) {
      await deps.events.publish(tx, {
        topic: pipelineFailed,
        tenantId: workspace,
        payload: { ...summary, workflow: change.details.workflow, runId: change.details.runId, conclusion: change.status, url: change.url },
      });
    }
    return { status: 200, body: { delivery, event, stored: true, duplicate: false, changeEventId: inserted.id } };
  });
}
