/**
 * Certificates made in the test with the `openssl` CLI (Node has no certificate generator): a CA,
 * leaves it signs (for localhost and 127.0.0.1, valid for a given number of days) and self-signed
 * leaves; and local TLS, HTTPS and TCP servers whose certificate a test can swap. Tests only.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export interface KeyPair {
  key: string;
  cert: string;
}

/** Whether the `openssl` CLI is there (the TLS tests need it). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function certificateFactory(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'itops-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const altNames = (names: string[]) => `subjectAltName=${names.map((h) => (net.isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}`;

  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '3650',
    '-subj',
    '/CN=itops test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const ca: KeyPair = { key: readFileSync(file('ca.key'), 'utf8'), cert: readFileSync(file('ca.crt'), 'utf8') };

  return {
    ca,
    /** A leaf signed by the CA, valid from now for `days` days; `cert` holds the leaf and the CA (the chain a server sends). */
    signed(days: number, names = ['localhost', '127.0.0.1']): KeyPair & { leaf: string } {
      const id = ++n;
      openssl('req', '-new', ...ec, '-keyout', file(`${id}.key`), '-out', file(`${id}.csr`), '-subj', `/CN=${names[0]}`);
      writeFileSync(file(`${id}.ext`), `${altNames(names)}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
      openssl(
        'x509',
        '-req',
        '-in',
        file(`${id}.csr`),
        '-CA',
        file('ca.crt'),
        '-CAkey',
        file('ca.key'),
        '-set_serial',
        `0x${randomBytes(8).toString('hex')}`,
        '-days',
        String(days),
        '-out',
        file(`${id}.crt`),
        '-extfile',
        file(`${id}.ext`),
      );
      const leaf = readFileSync(file(`${id}.crt`), 'utf8');
      return { key: readFileSync(file(`${id}.key`), 'utf8'), cert: leaf + ca.cert, leaf };
    },
    /** A self-signed leaf, valid from now for `days` days. */
    selfSigned(days: number, names = ['localhost', '127.0.0.1']): KeyPair {
      const id = ++n;
      openssl(
        'req',
        '-x509',
        ...ec,
        '-keyout',
        file(`${id}.key`),
        '-out',
        file(`${id}.crt`),
        '-days',
        String(days),
        '-subj',
        `/CN=${names[0]}`,
        '-addext',
        altNames(names),
      );
      return { key: readFileSync(file(`${id}.key`), 'utf8'), cert: readFileSync(file(`${id}.crt`), 'utf8') };
    },
  };
}

/** A TLS server on 127.0.0.1 that completes handshakes; `use` swaps its certificate (a renewal). */
export async function startTlsServer(t: { teardown(fn: () => unknown): void }, pair: KeyPair) {
  const server = tls.createServer({ key: pair.key, cert: pair.cert }, (socket) => socket.end());
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as AddressInfo).port, use: (next: KeyPair) => server.setSecureContext({ key: next.key, cert: next.cert }) };
}

/** An HTTPS server on 127.0.0.1 answering 200 "secure ok". */
export async function startHttpsServer(t: { teardown(fn: () => unknown): void }, pair: KeyPair) {
  const server = https.createServer({ key: pair.key, cert: pair.cert }, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('secure ok'));
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as AddressInfo).port, use: (next: KeyPair) => server.setSecureContext({ key: next.key, cert: next.cert }) };
}

/** A TCP server on 127.0.0.1 that accepts and closes connections, counting them; and a port nothing listens on. */
export async function startTcpServer(t: { teardown(fn: () => unknown): void }) {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** A port on 127.0.0.1 that refuses connections (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
