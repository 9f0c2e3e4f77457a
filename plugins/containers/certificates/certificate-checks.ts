import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import tls, { type DetailedPeerCertificate } from 'node:tls';
import { bareHost, resolveCheckTarget } from '../endpoints/endpoint-address-policy.ts';
import { type CheckContext, describeError } from '../endpoints/endpoint-checks.ts';

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
}

/** What one TLS handshake showed of a server's certificate. */
export interface TlsInspection {
  address: string;
  durationMs: number;
  leaf: CertificateSummary;
  subjectAltNames: string[];
  /** The chain as the server sent it, leaf first (roots the client supplied are not included). */
  chain: CertificateSummary[];
  chainValid: boolean;
  chainError: string | null;
  hostnameValid: boolean;
  hostnameError: string | null;
}

export interface CertificateTarget {
  host: string;
  port: number;
  /** Sent in SNI (unless an address) and checked against the certificate. */
  serverName: string;
  /** PEM certificates trusted besides the system's roots. */
  caPem: string | null;
  timeoutMs: number;
}

const dn = (text: string) =>
  text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .join(', ');

function summary(raw: Buffer): CertificateSummary {
  const x509 = new X509Certificate(raw);
  return {
    subject: dn(x509.subject),
    issuer: dn(x509.issuer),
    serialNumber: x509.serialNumber,
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: new Date(x509.validTo).toISOString(),
    fingerprint256: x509.fingerprint256,
  };
}

/** The certificates the server sent, leaf first, from Node's linked issuer chain. */
function chainOf(leaf: DetailedPeerCertificate): DetailedPeerCertificate[] {
  const chain: DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = leaf; cert?.raw && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    chain.push(cert);
  }
  return chain;
}

/**
 * Opens a TLS connection (through the address policy), reads the chain, validates it against the
 * system's roots plus `caPem`, and checks the server name; the handshake is never refused for an
 * invalid certificate, so what is wrong with it is recorded. Throws with a readable message when
 * there is no handshake (refused, timed out, blocked, not TLS).
 */
export async function inspectCertificate(target: CertificateTarget, context: CheckContext): Promise<TlsInspection> {
  const shown = `${target.host}:${target.port}`;
  let socket: tls.TLSSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => socket?.destroy(new Error('the check was cancelled'));
  // One deadline from the lookup to the end of the handshake: a resolver that never answers
  // holds the check no longer than a server that never finishes its handshake.
  let expire: (error: Error) => void = () => {};
  const expired = new Promise<never>((_resolve, reject) => {
    expire = reject;
  });
  expired.catch(() => {});
  timer = setTimeout(() => {
    const error = new Error(`no TLS handshake within ${target.timeoutMs / 1000} s`);
    expire(error);
    socket?.destroy(error);
  }, target.timeoutMs);
  try {
    const address = await Promise.race([resolveCheckTarget(context.policy, context.tenantId, target.host), expired]);
    const serverName = bareHost(target.serverName);
    const started = performance.now();
    const peer = await new Promise<DetailedPeerCertificate>((resolve, reject) => {
      socket = tls.connect({
        host: address,
        port: target.port,
        servername: isIP(serverName) ? undefined : serverName,
        rejectUnauthorized: false,
        // The name is checked below, so authorizationError is about the chain alone.
        checkServerIdentity: () => undefined,
        ...(target.caPem ? { ca: [...tls.rootCertificates, target.caPem] } : {}),
      });
      context.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('secureConnect', () => resolve((socket as tls.TLSSocket).getPeerCertificate(true)));
      socket.once('error', reject);
      expired.catch(reject);
    });
    const durationMs = Math.round(performance.now() - started);
    if (!peer?.raw) throw new Error('the server sent no certificate');
    const tlsSocket = socket as unknown as tls.TLSSocket;
    const identity = tls.checkServerIdentity(serverName, peer);
    const authorizationError = tlsSocket.authorizationError as unknown as string | Error | null;
    return {
      address,
      durationMs,
      leaf: summary(peer.raw),
      subjectAltNames: (peer.subjectaltname ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      chain: chainOf(peer).map((c) => summary(c.raw)),
      chainValid: tlsSocket.authorized,
      chainError: tlsSocket.authorized ? null : authorizationError instanceof Error ? authorizationError.message : String(authorizationError ?? 'unknown'),
      hostnameValid: identity === undefined,
      hostnameError: identity ? identity.message : null,
    };
  } catch (error) {
    throw new Error(describeError(error, shown));
  } finally {
    clearTimeout(timer);
    context.signal?.removeEventListener('abort', onAbort);
    (socket as tls.TLSSocket | undefined)?.destroy();
  }
}

export type CertificateStatus = 'pending' | 'valid' | 'expiring' | 'expired' | 'invalid' | 'error';

/** `ok`, `expiring:<days>`, `expired` or `invalid`: what the certificate's alert says (one at a time). */
export type CertificateAlertState = string;

export interface CertificateFacts {
  notAfter: Date | null;
  chainValid: boolean | null;
  chainError: string | null;
  hostnameValid: boolean | null;
  hostnameError: string | null;
  /** The last handshake failed (the facts are from an earlier one, if any). */
  lastError: string | null;
}

export interface CertificateEvaluation {
  status: CertificateStatus;
  statusReason: string | null;
  alertState: CertificateAlertState;
  daysLeft: number | null;
  thresholdDays: number | null;
}

const dayMs = 86_400_000;

export const daysLeftOf = (notAfter: Date, now: Date) => Math.round(((notAfter.getTime() - now.getTime()) / dayMs) * 100) / 100;

/**
 * Status and alert state of a certificate at `now`. The alert state escalates as the days left
 * cross each warning threshold (the smallest crossed counts), then to `expired`; `invalid` (chain
 * or name) when `validate` is on. The last known certificate counts even while handshakes fail, so
 * an unreachable server's certificate still warns before it expires.
 */
export function evaluateCertificate(facts: CertificateFacts, rules: { warningDays: number[]; validate: boolean }, now: Date): CertificateEvaluation {
  if (facts.notAfter === null) {
    return facts.lastError
      ? { status: 'error', statusReason: facts.lastError, alertState: 'ok', daysLeft: null, thresholdDays: null }
      : { status: 'pending', statusReason: null, alertState: 'ok', daysLeft: null, thresholdDays: null };
  }
  const daysLeft = daysLeftOf(facts.notAfter, now);
  const thresholdDays = [...rules.warningDays].sort((a, b) => a - b).find((d) => facts.notAfter!.getTime() - now.getTime() <= d * dayMs) ?? null;
  let evaluation: CertificateEvaluation;
  if (facts.notAfter.getTime() <= now.getTime()) {
    evaluation = { status: 'expired', statusReason: `Expired on ${facts.notAfter.toISOString()}`, alertState: 'expired', daysLeft, thresholdDays };
  } else if (rules.validate && (facts.chainValid === false || facts.hostnameValid === false)) {
    const reason = facts.chainValid === false ? `The chain does not validate: ${facts.chainError}` : `The name does not match: ${facts.hostnameError}`;
    evaluation = { status: 'invalid', statusReason: reason, alertState: 'invalid', daysLeft, thresholdDays };
  } else if (thresholdDays !== null) {
    evaluation = {
      status: 'expiring',
      statusReason: `Expires in ${Math.floor(daysLeft)} days (${facts.notAfter.toISOString()})`,
      alertState: `expiring:${thresholdDays}`,
      daysLeft,
      thresholdDays,
    };
  } else {
    evaluation = { status: 'valid', statusReason: null, alertState: 'ok', daysLeft, thresholdDays };
  }
  if (facts.lastError) return { ...evaluation, status: 'error', statusReason: facts.lastError };
  return evaluation;
}

export const certificateAlertFingerprint = (certificateId: string, alertState: CertificateAlertState) => `certificate:${certificateId}:${alertState}`;

/** The core alert for a certificate's alert state (null for `ok`). */
export function certificateAlert(alertState: CertificateAlertState, certificate: { id: string; serverName: string; port: number }) {
  if (alertState === 'ok') return null;
  const where = `${certificate.serverName}:${certificate.port}`;
  const fingerprint = certificateAlertFingerprint(certificate.id, alertState);
  if (alertState === 'expired') return { fingerprint, severity: 'critical' as const, title: `Certificate of ${where} has expired` };
  if (alertState === 'invalid') return { fingerprint, severity: 'critical' as const, title: `Certificate of ${where} is invalid` };
  const days = Number(alertState.split(':')[1]);
  return {
    fingerprint,
    severity: days <= 7 ? ('critical' as const) : ('warning' as const),
    title: `Certificate of ${where} expires within ${days} day${days === 1 ? '' : 's'}`,
  };
}
