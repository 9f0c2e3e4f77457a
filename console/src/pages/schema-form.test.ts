import { readFileSync } from 'node:fs';
import t from 'tap';
import { changedBody, createdName, detailLines, type FormField, formBody, formFields, recordName, textOf } from './schema-form.ts';

// The real contract's request schema of creating a ticket, its references resolved as the server sends it.
const contract = JSON.parse(readFileSync(new URL('../../../openapi/openapi.bundled.json', import.meta.url), 'utf8'));
const resolve = (node: any): any => {
  if (Array.isArray(node)) return node.map(resolve);
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string')
    return resolve(
      node.$ref
        .slice(2)
        .split('/')
        .reduce((n: any, p: string) => n[p], contract),
    );
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]));
};
const ticketSchema = resolve(contract.paths['/api/v1/tickets'].post.requestBody.content['application/json'].schema);

const byName = (fields: FormField[]) => Object.fromEntries(fields.map((f) => [f.name, f]));

t.test("a ticket's form: one field per property, shaped by its type", async (t) => {
  const fields = byName(formFields(ticketSchema));
  t.match(fields.title, { label: 'Title', kind: 'text', required: true, maxLength: 300 });
  t.match(fields.description, { kind: 'textarea', required: false }, 'long text is a text area');
  t.match(fields.priority, { kind: 'select', options: ['low', 'medium', 'high', 'urgent'], required: false });
  t.match(fields.clientId, { label: 'Client id', kind: 'text', nullable: true });
  t.match(fields.tags, { kind: 'list' });
  t.match(fields.links, { kind: 'json', placeholder: '[{"type":"ticket","target":""}]' }, 'a list of objects is typed as JSON, its shape shown');
  t.match(fields.slaPolicyId, { kind: 'text', nullable: true, maxLength: 36 });
});

t.test('the other shapes: dates, numbers, booleans, emails, alternatives', async (t) => {
  const fields = byName(
    formFields({
      type: 'object',
      required: ['dueAt'],
      properties: {
        dueAt: { type: 'string', format: 'date-time' },
        day: { type: 'string', format: 'date' },
        email: { type: ['string', 'null'], format: 'email' },
        retries: { type: 'integer', minimum: 0, maximum: 10, default: 3 },
        enabled: { type: 'boolean', default: true },
        notify: { type: 'boolean' },
        trigger: { type: 'object', examples: [{ type: 'manual' }] },
        value: { oneOf: [{ type: 'string' }, { type: 'number' }] },
        id: { type: 'string', readOnly: true },
      },
    }),
  );
  t.match(fields.dueAt, { kind: 'datetime', required: true });
  t.match(fields.day, { kind: 'date' });
  t.match(fields.email, { kind: 'email', nullable: true });
  t.match(fields.retries, { kind: 'number', integer: true, min: 0, max: 10, initial: '3' });
  t.match(fields.enabled, { kind: 'checkbox', initial: true });
  t.match(fields.notify, { kind: 'yesno' }, 'without a default, a choice that can leave it to the API');
  t.match(fields.trigger, { kind: 'json', placeholder: '{"type":"manual"}' }, 'an object shows its example');
  t.match(fields.value, { kind: 'json', placeholder: '""' }, 'alternatives are typed as JSON, the first one shown');
  t.notOk(fields.id, 'read-only properties are not asked for');
});

t.test('the body: typed values, empty optional fields left out or null, JSON parsed', async (t) => {
  const fields = formFields({
    type: 'object',
    required: ['title'],
    properties: {
      title: { type: 'string' },
      assignee: { type: ['string', 'null'] },
      note: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
      retries: { type: 'integer' },
      enabled: { type: 'boolean', default: true },
      notify: { type: 'boolean' },
      urgent: { type: 'boolean' },
      dueAt: { type: 'string', format: 'date-time' },
      trigger: { type: 'object' },
    },
  });
  const typed: Record<string, string | boolean> = {
    title: '  Disk full on db-1 ',
    assignee: '',
    note: '',
    tags: 'disk, prod,, ',
    retries: '4',
    enabled: false,
    notify: 'no',
    urgent: '',
    dueAt: '2026-12-31T12:00',
    trigger: '{"type":"manual"}',
  };
  const { body, problems } = formBody(fields, (name) => typed[name]);
  t.same(problems, []);
  t.same(body, {
    title: 'Disk full on db-1',
    assignee: null,
    tags: ['disk', 'prod'],
    retries: 4,
    enabled: false,
    notify: false,
    dueAt: new Date('2026-12-31T12:00').toISOString(),
    trigger: { type: 'manual' },
  });
  const mistyped: Record<string, string | boolean> = { ...typed, title: ' ', trigger: '{type: manual}' };
  const bad = formBody(fields, (name) => mistyped[name]);
  t.same(bad.problems, [
    { field: 'title', message: 'Title is required' },
    { field: 'trigger', message: 'Trigger is not valid JSON' },
  ]);
});

t.test("the API's validation details name the form's fields", async (t) => {
  const fields = formFields(ticketSchema);
  t.same(
    detailLines(
      [
        { path: '/title', message: 'must NOT have more than 300 characters' },
        { path: '/requestBody/priority', message: 'must be equal to one of the allowed values' },
        { path: '/', message: "must have required property 'title'" },
        'not a detail',
      ],
      fields,
    ),
    ['Title: must NOT have more than 300 characters', 'Priority: must be equal to one of the allowed values', "The form: must have required property 'title'"],
  );
  t.same(detailLines({ status: 'down' }, fields), []);
});

t.test("a row's page is titled by its key and title", async (t) => {
  t.equal(recordName({ id: 'a1', key: 'TCK-4', title: 'Disk full' }), 'TCK-4: Disk full');
  t.equal(recordName({ id: 'c1', name: 'Globex' }), 'Globex');
});

t.test('a created row is named by its key, name or title', async (t) => {
  t.equal(createdName({ id: 'a1', key: 'TCK-4', title: 'Disk full' }), 'TCK-4');
  t.equal(createdName({ id: 'c1', name: 'Globex' }), 'Globex');
  t.equal(createdName({ id: 'w1' }), 'w1');
  t.equal(createdName(null), undefined);
});

t.test('an edit form starts from the record and sends what changed, with its version', async (t) => {
  const patch = {
    type: 'object',
    required: ['version'],
    properties: {
      title: { type: 'string' },
      status: { type: 'string', enum: ['open', 'closed'] },
      assignee: { type: ['string', 'null'] },
      tags: { type: 'array', items: { type: 'string' } },
      dueAt: { type: 'string', format: 'date-time' },
      links: { type: 'array', items: { type: 'object' } },
      version: { type: 'integer', minimum: 1 },
    },
  };
  const fields = formFields(patch);
  t.match(byName(fields).version, { hidden: true, kind: 'number' }, 'the version travels unseen');
  const record = { id: 't1', title: 'Disk full', status: 'open', assignee: null, tags: ['disk', 'prod'], dueAt: '2026-12-31T12:00:30Z', links: [], version: 3 };
  const texts = Object.fromEntries(fields.map((f) => [f.name, textOf(f, record[f.name as keyof typeof record])]));
  t.match(texts, { title: 'Disk full', status: 'open', assignee: '', tags: 'disk, prod', links: '[]', version: '3' });
  t.match(texts.dueAt, /^2026-12-3\d{1}T\d{2}:\d{2}$|^2027-01-01T\d{2}:\d{2}$/, 'a local time to the minute');
  const before = formBody(fields, (name) => texts[name]).body;
  t.same(changedBody(fields, before, before), {}, 'untouched: nothing to send, not even a second-less time');
  const edited = formBody(fields, (name) => ({ ...texts, status: 'closed', tags: 'disk' })[name] as string).body;
  t.same(changedBody(fields, before, edited), { status: 'closed', tags: ['disk'], version: 3 });
  const cleared = formBody(fields, (name) => ({ ...texts, title: '', tags: '', status: '', dueAt: '' })[name] as string).body;
  t.same(changedBody(fields, before, cleared), { title: '', tags: [], version: 3 }, 'a cleared text or list is sent empty; a cleared choice or time stays');
});
