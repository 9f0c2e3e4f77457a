import { mkdtemp, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { UploadStore } from './upload-store.ts';

t.test('uploads stream to a file; the sweep removes old ones no job names, and nothing else', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'itops-uploads-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const store = new UploadStore(root);
  const named = await store.save('acme', Readable.from(['a,b\n', '1,2\n']));
  t.equal(named.bytes, 8);
  const orphan = await store.save('acme', Readable.from(['x\n']));
  const fresh = await store.save('globex', Readable.from(['y\n']));
  const dayAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  for (const key of [named.key, orphan.key]) await utimes(path.join(root, key), dayAgo, dayAgo);
  t.equal(await store.sweep(new Set([named.key]), 24 * 3600 * 1000), 1, 'only the old orphan');
  const read = async (key: string) => {
    let text = '';
    for await (const chunk of store.open(key)) text += chunk;
    return text;
  };
  t.equal(await read(named.key), 'a,b\n1,2\n', 'an old upload a job names stays');
  t.equal(await read(fresh.key), 'y\n', 'a recent one stays');
  await t.rejects(read(orphan.key), { code: 'ENOENT' });
  await t.rejects(store.save('../escape', Readable.from(['z'])), /leaves the store/);
});
