/**
 * Sessions (refresh-token families) that ended while access tokens issued in them may still be
 * unexpired. Checked on every authenticated request, so it is an in-memory map per node: loaded
 * from the database at start and fed by `identity.access_changed` events from every node. An entry
 * is kept for one access-token lifetime after the revocation; then every such token has expired.
 */
export class SessionRevocations {
  private readonly ended = new Map<string, number>();
  private nextPrune = 0;

  constructor(private readonly tokenTtlSeconds: number) {}

  revoke(sessionId: string, revokedAt = Date.now()): void {
    this.ended.set(sessionId, revokedAt + this.tokenTtlSeconds * 1000);
    this.prune();
  }

  isRevoked(sessionId: string): boolean {
    const until = this.ended.get(sessionId);
    return until !== undefined && until > Date.now();
  }

  private prune(): void {
    const now = Date.now();
    if (now < this.nextPrune) return;
    this.nextPrune = now + 60_000;
    for (const [id, until] of this.ended) if (until <= now) this.ended.delete(id);
  }
}
