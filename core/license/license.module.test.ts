import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { readDocument, rootDocumentUrl, operationsOf } from '../contract/contract-document.ts';
import { mergeContract } from '../contract/contract-merge.ts';
import { checkOperationRules } from '../contract/operation-rules.ts';
import { AppError } from '../errors/app-error.ts';
import type { OperationRequest } from '../plugin-api/index.ts';
import { isRole } from '../rbac/roles.ts';
import { generateLicenseKeyPair } from './license-keys.ts';
import { LicenseService } from './license-service.ts';
import { issueLicense } from './license-token.ts';
import { licenseModule } from './license.module.ts';

const vendor = generateLicenseKeyPair();
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-license-module-'));
t.teardown(() => rm(dataDir, { recursive: true, force: true }));

// Handler-level tests: the database is not the point here, so the `license` row lives in memory.
const licenses = await LicenseService.create({
  config: { env: 'production', dataDir, licensePublicKeys: [vendor.publicKey] },
  query: async () => [],
  logger: pino({ level: 'silent' }),
  pluginIds: () => ['sla', 'ticketing', 'audit'],
});
t.teardown(() => licenses.close());
const statuses = [
  { id: 'sla', state: 'unlicensed' },
  { id: 'ticketing', state: 'unlicensed' },
  { id: 'audit', state: 'disabled' },
];
const module = licenseModule({ licenses, pluginStatuses: () => statuses });
const fragment = readDocument(module.openapi as URL);
const contract = mergeContract(readDocument(rootDocumentUrl()), [{ owner: 'core:license', document: fragment }]);

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
ajv.addSchema(contract as object, 'contract');
function assertSchema(t: Test, name: string, value: unknown) {
  const validate = ajv.getSchema(`contract#/components/schemas/${name}`);
  if (!validate) throw new Error(`no schema ${name}`);
  t.ok(validate(value), `matches ${name}${validate.errors ? `: ${ajv.errorsText(validate.errors)}` : ''}`);
}

const request = (body: unknown) => ({ body }) as OperationRequest<any>;

t.test('the fragment meets the house rules and every operation has its handler', async (t) => {
  const permissions = new Set((module.permissions ?? []).map((p) => p.name));
  t.same(checkOperationRules(fragment, 'core:license', permissions), []);
  const operationIds = [...operationsOf(fragment)].map((o) => o.operation.operationId).sort();
  t.same(operationIds, Object.keys(module.handlers).sort());
  t.same([...permissions].sort(), ['edition:read', 'license:activate']);
  t.ok(
    module.permissions?.every((p) => p.platform),
    'both permissions are platform-wide',
  );
  for (const policy of module.policies ?? []) {
    t.ok(permissions.has(policy.permission) && isRole(policy.role), `${policy.role} → ${policy.permission}`);
  }
  t.same(
    module.policies?.filter((p) => p.permission === 'license:activate').map((p) => p.role),
    ['platform_admin'],
    'only platform admins activate licenses',
  );
  const [{ operation: activate }] = [...operationsOf(fragment)].filter((o) => o.operation.operationId === 'activateLicense');
  t.ok(activate.responses['422'], 'a refused license is documented');
});

t.test('without a license the edition is core and nothing is licensed', async (t) => {
  const body = (await module.handlers.getEdition(request(undefined))) as Record<string, unknown>;
  t.same(body, {
    edition: 'core',
    customer: null,
    expiresAt: null,
    development: false,
    plugins: [
      { id: 'sla', licensed: false, state: 'unlicensed' },
      { id: 'ticketing', licensed: false, state: 'unlicensed' },
      { id: 'audit', licensed: false, state: 'disabled' },
    ],
  });
  assertSchema(t, 'Edition', body);
  t.notOk(ajv.getSchema('contract#/components/schemas/Edition')?.({ ...body, plugins: [{ id: 'sla', state: 'gone' }] }), 'the schema is not vacuous');
});

t.test('activateLicense answers as the seed shows; getEdition reflects it', async (t) => {
  const expiresAt = new Date(Date.now() + 365 * 86400_000);
  const token = await issueLicense(vendor.privateJwk, { customer: 'My Company', plugins: ['ticketing', 'sla'], expiresAt });
  const body = await module.handlers.activateLicense(request({ licenseKey: token }));
  t.match(body, { success: true, message: 'License activated', customer: 'My Company', plugins: ['ticketing', 'sla'], edition: 'enterprise' });
  t.equal((body as { expiresAt: string }).expiresAt, new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString());
  assertSchema(t, 'LicenseActivation', body);

  const edition = await module.handlers.getEdition(request(undefined));
  t.match(edition, {
    edition: 'enterprise',
    customer: 'My Company',
    development: false,
    plugins: [
      { id: 'sla', licensed: true },
      { id: 'ticketing', licensed: true },
      { id: 'audit', licensed: false },
    ],
  });
  assertSchema(t, 'Edition', edition);
});

t.test('a refused license answers 422 with the reason', async (t) => {
  const stranger = generateLicenseKeyPair();
  const cases: [string, string][] = [
    [await issueLicense(stranger.privateJwk, { customer: 'Mallory', plugins: ['*'] }), 'untrusted'],
    [await issueLicense(vendor.privateJwk, { customer: 'Old', plugins: ['sla'], expiresAt: new Date('2021-01-01T00:00:00Z') }), 'expired'],
    ['x'.repeat(40), 'malformed'],
  ];
  for (const [licenseKey, reason] of cases) {
    const error = (await Promise.resolve()
      .then(() => module.handlers.activateLicense(request({ licenseKey })))
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as AppError;
    t.ok(error instanceof AppError, `${reason}: an AppError`);
    t.equal(error.code, 'unprocessable');
    t.equal(error.status, 422);
    t.same(error.details, { reason });
  }
  t.equal(licenses.current()?.customer, 'My Company', 'the active license stays');
});
