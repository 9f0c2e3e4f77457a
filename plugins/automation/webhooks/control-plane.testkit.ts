import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRun {
  headers: IncomingMessage['headers'];
  raw: string;
  body: { executionId: string; target: string; workspaceId: string; input: unknown; deadlineAt: string; callbackUrl: string };
}

/**
 * A local HTTP server playing the external control plane: it records every run posted to it and
 * answers `status` (202 by default). The test then calls back as the control plane would.
 */
export async function fakeControlPlane(t: { teardown(fn: () => unknown): void }) {
  const runs: ReceivedRun[] = [];
  const state = { status: 202 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      runs.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(state.status, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v1/execute`, runs, state };
}
