import type { PluginLogger } from '../../../core/plugin-api/index.ts';
import { inspectCertificate } from '../certificates/certificate-checks.ts';
import { recordCertificateCheck } from '../certificates/certificate-results.ts';
import type { CertificateRow } from '../certificates/certificate-rows.ts';
import type { CheckAddressPolicy } from './endpoint-address-policy.ts';
import { type CheckOutcome, checkHttp, checkTcp } from './endpoint-checks.ts';
import { recordEndpointCheck, type ResultDeps } from './endpoint-results.ts';
import type { EndpointRow } from './endpoint-rows.ts';

export interface ScheduleDeps extends ResultDeps {
  clock: () => Date;
  logger: PluginLogger;
  policy: CheckAddressPolicy;
}

export interface ScheduleOptions {
  /** Checks this node runs at a time (endpoints and certificates together). */
  concurrency: number;
}

/**
 * The first slot of a monitor's phase strictly after `now` (SQL): slots are phase + k × interval
 * seconds since the epoch, so a monitor keeps its place in the interval across restarts and nodes.
 */
const nextSlot = (table: string) =>
  `to_timestamp((floor((extract(epoch FROM ?::timestamptz) - ${table}.phase_seconds) / ${table}.interval_seconds) + 1) * ${table}.interval_seconds + ${table}.phase_seconds)`;

/**
 * Runs endpoint and certificate checks from the database, with no timer per monitor: a round (one
 * at a time across the nodes, through the core's periodic runner) claims due rows
 * (`next_check_at <= now`, oldest first, `FOR UPDATE SKIP LOCKED`, so rows a check is being recorded
 * for are passed over, not waited for), moving each to its next slot in the same statement, and
 * starts their checks on the node that ran it. A round claims no more than that node has free slots
 * (`concurrency`), so a backlog (after an outage, or a thousand endpoints created at once) is worked
 * off at a bounded rate, by whichever nodes have slots free, and then falls back into the phases
 * that spread the checks over their interval. A node that dies mid-check loses that check only; the
 * next slot runs it. Each result commits with the status it causes and that status's alert.
 */
export class EndpointSchedule {
  private inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly deps: ScheduleDeps,
    private readonly options: ScheduleOptions,
  ) {}

  get running(): number {
    return this.inFlight.size;
  }

  async claimEndpoints(limit: number): Promise<EndpointRow[]> {
    if (limit <= 0) return [];
    const now = this.deps.clock().toISOString();
    return this.deps.database.platform.query<EndpointRow>(
      `UPDATE endpoint e SET next_check_at = ${nextSlot('e')}
       FROM (SELECT id FROM endpoint WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ? FOR UPDATE SKIP LOCKED) due
       WHERE e.id = due.id RETURNING e.*`,
      [now, now, limit],
    );
  }

  async claimCertificates(limit: number): Promise<CertificateRow[]> {
    if (limit <= 0) return [];
    const now = this.deps.clock().toISOString();
    return this.deps.database.platform.query<CertificateRow>(
      `UPDATE certificate c SET next_check_at = ${nextSlot('c')}
       FROM (SELECT id FROM certificate WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ? FOR UPDATE SKIP LOCKED) due
       WHERE c.id = due.id RETURNING c.*`,
      [now, now, limit],
    );
  }

  /** Probes one claimed endpoint and records the result. */
  async checkEndpoint(row: EndpointRow): Promise<void> {
    const checkedAt = this.deps.clock();
    const context = { policy: this.deps.policy, tenantId: row.tenant_id, signal: this.abort.signal };
    const timeoutMs = row.timeout_seconds * 1000;
    const outcome: CheckOutcome =
      row.scheme === 'tcp'
        ? await checkTcp({ host: row.host, port: row.port, timeoutMs }, context)
        : await checkHttp(
            {
              url: row.url,
              method: row.method,
              headers: row.headers ?? {},
              body: row.body,
              expectedStatus: row.expected_status,
              keyword: row.keyword,
              invertKeyword: row.invert_keyword,
              timeoutMs,
              followRedirects: row.follow_redirects,
              ignoreTlsErrors: row.ignore_tls_errors,
            },
            context,
          );
    if (this.abort.signal.aborted) return;
    await recordEndpointCheck(this.deps, row, outcome, checkedAt);
  }

  /** Inspects one claimed certificate monitor and records what it saw. */
  async checkCertificate(row: CertificateRow): Promise<void> {
    const checkedAt = this.deps.clock();
    const context = { policy: this.deps.policy, tenantId: row.tenant_id, signal: this.abort.signal };
    const result = await inspectCertificate(
      { host: row.host, port: row.port, serverName: row.server_name, caPem: row.ca_pem, timeoutMs: row.timeout_seconds * 1000 },
      context,
    ).then(
      (inspection) => ({ inspection }),
      (error: Error) => ({ error: error.message }),
    );
    if (this.abort.signal.aborted) return;
    await recordCertificateCheck(this.deps, row, result, checkedAt);
  }

  /**
   * One round: claims as many due checks as there are free slots (certificates get up to a quarter
   * of them) and starts them. Returns whether more may be due.
   */
  async round(): Promise<boolean> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0) return true;
    const certificateSlots = Math.max(1, Math.floor(free / 4));
    const certificates = await this.claimCertificates(certificateSlots);
    const endpointSlots = free - certificates.length;
    const endpoints = await this.claimEndpoints(endpointSlots);
    for (const row of certificates) this.spawn(() => this.checkCertificate(row), { certificateId: row.id });
    for (const row of endpoints) this.spawn(() => this.checkEndpoint(row), { endpointId: row.id });
    return certificates.length === certificateSlots || (endpointSlots > 0 && endpoints.length === endpointSlots);
  }

  private backlog = false;
  private wake: () => void = () => {};

  /**
   * The periodic round: runs `round` and, while a backlog lasts, asks `wake` for the next one each
   * time a check settles and frees a slot (rather than waiting for the interval).
   */
  periodic(wake: () => void): () => Promise<void> {
    this.wake = wake;
    return async () => {
      this.backlog = await this.round();
    };
  }

  private spawn(task: () => Promise<void>, context: object): void {
    const running: Promise<void> = task()
      .catch((error) => this.deps.logger.error({ err: error, ...context }, 'a monitor check could not be recorded'))
      .finally(() => {
        this.inFlight.delete(running);
        if (this.backlog) this.wake();
      });
    this.inFlight.add(running);
  }

  /** Cancels the checks in flight and waits for them (their results are dropped). */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all([...this.inFlight]);
  }
}
