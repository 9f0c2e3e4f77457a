import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { parsedYamlCache, readDocument } from './contract-document.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'itops-yaml-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const cacheEntry = (text: string) => new URL(`${createHash('sha256').update(text).digest('hex')}.json`, parsedYamlCache);

t.test('a parsed YAML document is kept as JSON for the next process, and read back the same', async (t) => {
  const text = `# ${randomUUID()}\nopenapi: 3.1.0\ninfo: { title: probe, version: '1' }\npaths:\n  /x:\n    get: { operationId: getX, responses: { '200': { description: ok } } }\n`;
  const file = path.join(dir, 'probe.yaml');
  writeFileSync(file, text);
  const first = readDocument(pathToFileURL(file));
  t.ok(existsSync(cacheEntry(text)), 'kept under node_modules/.cache');
  t.same(JSON.parse(readFileSync(cacheEntry(text), 'utf8')), first);
  // A corrupt entry is parsed past, not believed.
  writeFileSync(cacheEntry(text), '{ not json');
  const again = path.join(dir, 'again.yaml');
  writeFileSync(again, text);
  t.same(readDocument(pathToFileURL(again)), first);
});

t.test('a document JSON cannot hold is parsed every time, never cached', async (t) => {
  const text = `# ${randomUUID()}\nlimit: .inf\n`;
  const file = path.join(dir, 'infinite.yaml');
  writeFileSync(file, text);
  t.equal(readDocument(pathToFileURL(file)).limit, Number.POSITIVE_INFINITY);
  t.notOk(existsSync(cacheEntry(text)));
});
