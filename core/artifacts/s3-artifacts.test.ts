import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import t from 'tap';
import { download, finishedJob, idem, notesPlugin } from '../imports/imports.testkit.ts';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { S3Backend } from './artifact-backends.ts';
import { signV4 } from './sigv4.ts';

const credentials = { accessKeyId: 'AKIDITOPSTEST', secretAccessKey: 'itops-test-secret-access-key' };

t.test('Signature V4 matches the example AWS documents for S3 (GET test.txt with a Range)', async (t) => {
  const headers = signV4({
    method: 'GET',
    host: 'examplebucket.s3.amazonaws.com',
    path: '/test.txt',
    headers: { Range: 'bytes=0-9' },
    payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    region: 'us-east-1',
    service: 's3',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    now: new Date('2013-05-24T00:00:00Z'),
  });
  t.equal(
    headers.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
});

/**
 * A small S3-speaking server: path-style PUT, GET and DELETE of objects kept in memory, each
 * request's Signature V4 checked by signing it again from what arrived (403 SignatureDoesNotMatch
 * otherwise, as S3 answers).
 */
async function fakeS3(t: { teardown(fn: () => unknown): void }) {
  const objects = new Map<string, Buffer>();
  const log: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const auth = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request,SignedHeaders=([^,]+),Signature=([0-9a-f]{64})/.exec(
        req.headers.authorization ?? '',
      );
      const signedNames = auth?.[4].split(';') ?? [];
      const extra = Object.fromEntries(
        signedNames.filter((n) => !['host', 'x-amz-date', 'x-amz-content-sha256'].includes(n)).map((n) => [n, String(req.headers[n])]),
      );
      const date = String(req.headers['x-amz-date'] ?? '');
      const expected = auth
        ? signV4({
            method: req.method as string,
            host: String(req.headers.host),
            path: req.url as string,
            headers: extra,
            payloadHash: String(req.headers['x-amz-content-sha256']),
            region: auth[3],
            service: 's3',
            accessKeyId: auth[1],
            secretAccessKey: credentials.secretAccessKey,
            now: new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`),
          }).authorization
        : undefined;
      log.push(`${req.method} ${req.url}`);
      if (!auth || auth[1] !== credentials.accessKeyId || expected !== req.headers.authorization) {
        res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
        return;
      }
      const key = req.url as string;
      if (req.method === 'PUT') {
        objects.set(key, Buffer.concat(chunks));
        res.writeHead(200, { etag: `"${createHash('md5').update(Buffer.concat(chunks)).digest('hex')}"` }).end();
      } else if (req.method === 'GET') {
        const body = objects.get(key);
        if (!body) res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
        else res.writeHead(200, { 'content-length': String(body.length) }).end(body);
      } else if (req.method === 'DELETE') {
        objects.delete(key);
        res.writeHead(204).end();
      } else res.writeHead(405).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, objects, log };
}

t.test('with an S3-compatible store configured, export files go there and come back through the signed link', async (t) => {
  const s3 = await fakeS3(t);
  const env = {
    ITOPS_ARTIFACTS_S3_ENDPOINT: s3.url,
    ITOPS_ARTIFACTS_S3_BUCKET: 'itops-artifacts',
    ITOPS_ARTIFACTS_S3_ACCESS_KEY_ID: credentials.accessKeyId,
    ITOPS_ARTIFACTS_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [notesPlugin], env });
  await kernel.database.forTenant('acme').query(`INSERT INTO import_note (tenant_id, key, body, priority) VALUES ('acme', 'a', 'kept in s3', 1)`);
  const queued = await call(kernel, 'POST', '/api/v1/exports', { headers: { ...acmeAdmin.headers, ...idem() }, body: { kind: 'notes', format: 'csv' } });
  t.equal(queued.status, 202, queued.text);
  const job = await finishedJob(kernel, acmeAdmin.headers, queued.json.id);
  t.match(job, { state: 'completed', rows: { written: 1 } });

  t.equal(s3.objects.size, 1, 'one object in the bucket');
  const [[objectPath, body]] = [...s3.objects];
  t.match(objectPath, /^\/itops-artifacts\/acme\/[0-9a-f-]{36}$/);
  t.match(body.toString(), /kept in s3/);
  const staged = path.join(kernel.config.dataDir, 'artifacts', objectPath.replace('/itops-artifacts/', ''));
  t.notOk(existsSync(staged), 'the staged copy on local disk is gone');

  const file = await download(job.artifactUrl);
  t.equal(file.status, 200);
  t.match(file.text, /kept in s3/, 'the download streams the object');

  s3.objects.clear();
  const gone = await download(job.artifactUrl);
  t.equal(gone.status, 404, 'an object missing from the store is a 404, not a 500');
  t.match(JSON.parse(gone.text), { error: { code: 'not_found' } });
});

t.test('the S3 backend deletes objects, treats a missing one as deleted, and refuses wrong credentials', async (t) => {
  const s3 = await fakeS3(t);
  const config = { endpoint: s3.url, bucket: 'b', region: 'eu-west-1', ...credentials };
  s3.objects.set('/b/acme/x', Buffer.from('x'));
  const backend = new S3Backend(config);
  await backend.remove('acme/x');
  t.equal(s3.objects.size, 0);
  await backend.remove('acme/x');
  t.equal(await backend.open('acme/x'), undefined, 'a missing object opens as nothing');
  const wrong = new S3Backend({ ...config, secretAccessKey: 'not-the-secret' });
  await t.rejects(wrong.open('acme/x'), /answered 403/);
});
