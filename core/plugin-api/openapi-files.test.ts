import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { openapiFiles } from './index.ts';

t.test('a plugin contract merged from files, with duplicates refused', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-openapi-'));
  const file = async (name: string, text: string) => {
    await writeFile(path.join(dir, name), text);
    return pathToFileURL(path.join(dir, name));
  };
  const a = await file(
    'a.yaml',
    'openapi: 3.1.0\ninfo: { title: a, version: 1.0.0 }\ntags: [{ name: a }]\npaths: { /a: { get: { operationId: getA } } }\ncomponents: { schemas: { A: { type: string } } }\n',
  );
  const b = await file(
    'b.yaml',
    'openapi: 3.1.0\ninfo: { title: b, version: 1.0.0 }\ntags: [{ name: b }]\npaths: { /b: { get: { operationId: getB } } }\ncomponents: { schemas: { B: { type: number } } }\n',
  );
  const merged = openapiFiles(a, b) as any;
  t.same(Object.keys(merged.paths), ['/a', '/b']);
  t.same(Object.keys(merged.components.schemas), ['A', 'B']);
  t.same(
    merged.tags.map((x: { name: string }) => x.name),
    ['a', 'b'],
  );
  t.equal(merged.info.title, 'a');
  const again = await file('c.yaml', 'openapi: 3.1.0\ninfo: { title: c, version: 1.0.0 }\npaths: {}\ncomponents: { schemas: { A: { type: boolean } } }\n');
  t.throws(() => openapiFiles(a, again), /components\.schemas\.A is defined in both .*a\.yaml and .*c\.yaml/);
});
