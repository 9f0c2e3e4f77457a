import type { OutboundHttpService, OutboundResponse } from '../../../core/plugin-api/index.ts';

/** An image reference split into where it lives: `ghcr.io/acme/shop:1.4.2`, `nginx` (Docker Hub, `library/nginx:latest`). */
export interface ImageRef {
  registry: string;
  repository: string;
  tag: string;
}

export function parseImage(image: string): ImageRef {
  const withoutDigest = image.split('@')[0];
  const slash = withoutDigest.indexOf('/');
  const first = slash > 0 ? withoutDigest.slice(0, slash) : '';
  const hasRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'registry-1.docker.io';
  let rest = hasRegistry ? withoutDigest.slice(slash + 1) : withoutDigest;
  let tag = 'latest';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const repository = registry === 'registry-1.docker.io' && !rest.includes('/') ? `library/${rest}` : rest;
  return { registry, repository, tag };
}

const manifestTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

/**
 * The Docker Registry HTTP API v2 / OCI distribution endpoints an update check needs: a tag's
 * manifest digest (the manifest list's digest for multi-arch images, which is what a pull records)
 * and the tags of a repository, with the bearer-token dance (`WWW-Authenticate: Bearer realm=…`)
 * anonymous pulls use. Calls go through the platform's outbound guard with a deadline each.
 */
export class RegistryClient {
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly outbound: OutboundHttpService,
    private readonly options: { insecure?: (registry: string) => boolean; deadlineMs?: number } = {},
  ) {}

  private base(registry: string) {
    const insecure = this.options.insecure?.(registry) ?? /^(localhost|127\.0\.0\.1)(:\d+)?$/.test(registry);
    return `${insecure ? 'http' : 'https'}://${registry}`;
  }

  private async get(ref: ImageRef, path: string, method = 'GET', accept = 'application/json'): Promise<OutboundResponse> {
    const url = `${this.base(ref.registry)}/v2/${ref.repository}/${path}`;
    const key = `${ref.registry}/${ref.repository}`;
    const send = () => {
      const token = this.tokens.get(key);
      return this.outbound.request(url, {
        method,
        headers: { accept, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        timeoutMs: this.options.deadlineMs ?? 10_000,
        maxResponseBytes: 4 * 1024 * 1024,
      });
    };
    let response = await send();
    if (response.status === 401) {
      await this.authenticate(ref, String(response.headers['www-authenticate'] ?? ''));
      response = await send();
    }
    if (response.status >= 300) throw new RegistryError(`${ref.registry}/${ref.repository} ${path}: ${response.status}`);
    return response;
  }

  /** Fetches a pull token for the repository from the realm the registry named. */
  private async authenticate(ref: ImageRef, challenge: string) {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!/^Bearer /i.test(challenge) || !params.realm) throw new RegistryError(`${ref.registry}: unauthorized, and no bearer realm to ask`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${ref.repository}:pull`);
    const answer = await this.outbound.request(url.toString(), { timeoutMs: this.options.deadlineMs ?? 10_000, maxResponseBytes: 64 * 1024 });
    if (answer.status !== 200) throw new RegistryError(`${ref.registry}: token realm answered ${answer.status}`);
    const body = JSON.parse(answer.body.toString('utf8')) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`${ref.registry}: the token realm gave no token`);
    this.tokens.set(`${ref.registry}/${ref.repository}`, token);
  }

  /** The digest a pull of `tag` resolves to now. */
  async digest(ref: ImageRef, tag = ref.tag): Promise<string> {
    const response = await this.get(ref, `manifests/${encodeURIComponent(tag)}`, 'HEAD', manifestTypes);
    const digest = response.headers['docker-content-digest'];
    if (typeof digest !== 'string' || !digest.startsWith('sha256:')) throw new RegistryError(`${ref.repository}:${tag}: no Docker-Content-Digest`);
    return digest;
  }

  /** The repository's tags (following `Link` pages, at most 20). */
  async tags(ref: ImageRef): Promise<string[]> {
    const tags: string[] = [];
    let path = 'tags/list?n=1000';
    for (let page = 0; page < 20 && path; page++) {
      const response = await this.get(ref, path);
      tags.push(...((JSON.parse(response.body.toString('utf8')) as { tags?: string[] | null }).tags ?? []));
      const link = String(response.headers.link ?? '');
      const next = /<[^>]*\/tags\/list\?([^>]*)>/.exec(link);
      path = next ? `tags/list?${next[1]}` : '';
    }
    return tags;
  }
}

/** `v1.4.2`, `1.4`, `1.4.2-alpine`: numbers and a suffix; anything else is no version. */
export function parseVersion(tag: string): { parts: number[]; suffix: string; prefix: string } | null {
  const match = /^(v?)(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?$/.exec(tag);
  if (!match) return null;
  return { prefix: match[1], parts: [match[2], match[3], match[4]].filter((p) => p !== undefined).map(Number), suffix: match[5] ?? '' };
}

/**
 * The newest tag of the same shape (same prefix, suffix and number of parts: `1.4.2-alpine` is
 * compared with `1.5.0-alpine`, not `1.5.0` or `1.5`) above the current one, and which part moved.
 */
export function newestVersion(current: string, tags: string[]): { tag: string; type: 'major' | 'minor' | 'patch' } | null {
  const now = parseVersion(current);
  if (!now) return null;
  let best: { tag: string; parts: number[] } | null = null;
  for (const tag of tags) {
    const v = parseVersion(tag);
    if (!v || v.prefix !== now.prefix || v.suffix !== now.suffix || v.parts.length !== now.parts.length) continue;
    if (compare(v.parts, now.parts) <= 0) continue;
    if (!best || compare(v.parts, best.parts) > 0) best = { tag, parts: v.parts };
  }
  if (!best) return null;
  const type = best.parts[0] !== now.parts[0] ? 'major' : best.parts[1] !== now.parts[1] ? 'minor' : 'patch';
  return { tag: best.tag, type };
}

function compare(a: number[], b: number[]) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
