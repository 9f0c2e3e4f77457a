import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { configVariables } from '../core/config/config.schema.ts';

// No Docker engine or Kubernetes cluster runs here: the deployment files are checked for what the
// topology promises (production build, non-root, health checks, two nodes behind a balancer), and
// the Kubernetes manifests are rendered by kustomize where kubectl is installed. The same topology
// runs without containers in two-nodes.test.ts.

const text = (file: string) => readFileSync(file, 'utf8');

t.test('the image is a multi-stage production build that runs compiled JavaScript as a non-root user', async (t) => {
  const dockerfile = text('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  t.equal(stages.length, 2, 'a build stage and a runtime stage');
  const runtime = stages[1];
  t.match(stages[0], /npm run build/);
  t.match(runtime, /npm ci --omit=dev/, 'no dev dependencies (no compiler, no tsx) in the final image');
  t.match(runtime, /^USER node$/m);
  t.match(runtime, /CMD \["node", "dist\/core\/main\.js"\]/);
  t.notMatch(runtime, /tsx/);
  t.match(runtime, /HEALTHCHECK/);
  const ignored = text('.dockerignore');
  for (const entry of ['node_modules', '.data', '.env', 'dist'])
    t.match(ignored, new RegExp(`^${entry.replace('.', '\\.')}$`, 'm'), `${entry} stays out of the build context`);
});

t.test('compose: PostgreSQL 18, two itops nodes from one image, a proxy that waits for both', async (t) => {
  const compose = parse(text('docker-compose.yml'), { merge: true });
  t.match(compose.services.postgres, { image: 'postgres:18', healthcheck: { test: Array } });
  for (const name of ['itops1', 'itops2']) {
    const node = compose.services[name];
    t.match(node, { build: '.', image: 'itops:latest', env_file: '.env', depends_on: { postgres: { condition: 'service_healthy' } } }, name);
    t.match(node.environment.DATABASE_URL, /@postgres:5432\/itops$/);
    t.match(node.healthcheck.test.join(' '), /\/ready/, `${name} is healthy once ready`);
  }
  t.match(compose.services.proxy, { image: 'caddy:2', depends_on: { itops1: { condition: 'service_healthy' }, itops2: { condition: 'service_healthy' } } });
  const caddyfile = text('deploy/Caddyfile');
  t.match(caddyfile, /reverse_proxy itops1:3000 itops2:3000/);
  t.match(caddyfile, /health_uri \/ready/);
  t.match(caddyfile, /lb_policy round_robin/);
  const idleSeconds = Number(/keepalive (\d+)s/.exec(caddyfile)?.[1]);
  t.ok(
    idleSeconds * 1000 < (configVariables.ITOPS_HTTP_KEEP_ALIVE_TIMEOUT_MS as { default: number }).default,
    'the proxy drops idle connections before a node does',
  );

  // Every variable the example env file sets is one itops (or the PostgreSQL image) reads.
  const names = text('deploy/env.example')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=')[0]);
  for (const name of names) t.ok(name === 'POSTGRES_PASSWORD' || name in configVariables, `${name} is a known variable`);
  t.ok(names.includes('ITOPS_JWT_SECRET') && names.includes('ITOPS_MASTER_KEY'), 'the production secrets are asked for');
});

t.test('Kubernetes: a stateless Deployment probed on /ready and /health, a Service and an HPA', async (t) => {
  const kustomization = parse(text('deploy/kubernetes/kustomization.yaml'));
  const objects = (kustomization.resources as string[]).flatMap((file) => {
    t.ok(existsSync(`deploy/kubernetes/${file}`), `${file} exists`);
    return parseAllDocuments(text(`deploy/kubernetes/${file}`)).map((d) => d.toJS());
  });
  const byKind = (kind: string) => objects.find((o) => o.kind === kind);
  const deployment = byKind('Deployment');
  const container = deployment.spec.template.spec.containers[0];
  t.match(container.readinessProbe, { httpGet: { path: '/ready' } });
  t.match(container.livenessProbe, { httpGet: { path: '/health' } });
  t.equal(deployment.spec.template.spec.securityContext.runAsNonRoot, true);
  t.equal(container.securityContext.readOnlyRootFilesystem, true);
  t.ok(deployment.spec.replicas >= 2);
  t.match(byKind('Service'), { spec: { selector: deployment.spec.selector.matchLabels } });
  t.match(byKind('HorizontalPodAutoscaler'), { spec: { scaleTargetRef: { kind: 'Deployment', name: deployment.metadata.name }, minReplicas: 2 } });

  const kubectl = spawnSync('kubectl', ['kustomize', 'deploy/kubernetes'], { encoding: 'utf8' });
  if (kubectl.error) t.comment('kubectl is not installed here: kustomize rendering skipped');
  else t.equal(kubectl.status, 0, `kubectl kustomize renders the manifests ${kubectl.stderr}`);
});
