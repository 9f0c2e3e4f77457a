/**
 * A small container registry for tests (Docker Registry HTTP API v2): `HEAD/GET
 * /v2/<repo>/manifests/<tag>` answering `Docker-Content-Digest`, `GET /v2/<repo>/tags/list`, and
 * anonymous bearer tokens from `/token` demanded through `WWW-Authenticate`. Imported by *.test.ts only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startRegistry(t: { teardown(fn: () => unknown): void }) {
  const repos = new Map<string, Map<string, string>>();
  const requests: string[] = [];
  let port = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === '/token') {
      const scope = url.searchParams.get('scope') ?? '';
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `pull:${scope}` }));
    }
    const match = /^\/v2\/(.+)\/(manifests|tags)\/(.+)$/.exec(url.pathname);
    if (!match) return res.writeHead(404).end();
    const [, repo, kind, rest] = match;
    if (req.headers.authorization !== `Bearer pull:repository:${repo}:pull`) {
      return res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://localhost:${port}/token",service="registry.test",scope="repository:${repo}:pull"`,
          'content-type': 'application/json',
        })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    }
    const tags = repos.get(repo);
    if (!tags) return res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
    if (kind === 'tags') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: repo, tags: [...tags.keys()] }));
    const digest = tags.get(decodeURIComponent(rest));
    if (!digest) return res.writeHead(404).end();
    const accepted = String(req.headers.accept ?? '');
    res.writeHead(200, {
      'docker-content-digest': digest,
      'content-type': accepted.includes('manifest.list')
        ? 'application/vnd.docker.distribution.manifest.list.v2+json'
        : 'application/vnd.oci.image.manifest.v1+json',
    });
    res.end(req.method === 'HEAD' ? undefined : '{"schemaVersion":2,"manifests":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  port = (server.address() as AddressInfo).port;
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return {
    host: `localhost:${port}`,
    requests,
    /** Sets a repository's tags and their digests. */
    repo(name: string, tags: Record<string, string>) {
      repos.set(name, new Map(Object.entries(tags)));
    },
  };
}

export const digest = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}`;
