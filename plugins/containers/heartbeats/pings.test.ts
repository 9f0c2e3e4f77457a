import http from 'node:http';
import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { eventually, heartbeatWorld } from './heartbeat.testkit.ts';

/** A POST with exactly these headers, its body written chunk by chunk until the server answers. */
function rawRequest(
  base: string,
  path: string,
  headers: Record<string, string>,
  body: (() => Iterable<Buffer>) | null,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(path, base), { method: 'POST', headers: { 'content-type': 'text/plain', ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    let answered = false;
    request.on('response', () => {
      answered = true;
    });
    // The server closes the connection after its 413; a write after that fails harmlessly.
    request.on('error', (error) => (answered ? undefined : reject(error)));
    if (!body) return request.end();
    const chunks = body()[Symbol.iterator]();
    const pump = () => {
      for (let next = chunks.next(); !next.done; next = chunks.next()) {
        if (answered || request.destroyed) return;
        if (!request.write(next.value)) return request.once('drain', pump);
      }
      request.end();
    };
    pump();
  });
}

const ridA = '11111111-2222-4333-8444-555555555555';
const ridB = '66666666-7777-4888-9999-000000000000';

t.test('the ping routes answer like Healthchecks: 200 OK text, CORS, body limit; HEAD, GET and POST all count', async (t) => {
  const { create, ping, get, pings, clock } = await heartbeatWorld(t);
  const hb = await create();
  for (const method of ['GET', 'HEAD', 'POST']) {
    const answer = await ping(`/ping/${hb.uuid}`, { method });
    t.equal(answer.status, 200, method);
    t.equal(answer.text, method === 'HEAD' ? '' : 'OK');
    t.equal(answer.headers.get('access-control-allow-origin'), '*');
    t.equal(answer.headers.get('ping-body-limit'), '10000');
    t.match(answer.headers.get('content-type'), /^text\/plain/);
  }
  t.equal((await ping(`/ping/${hb.uuid.toUpperCase()}`)).status, 200, 'the uuid is case-insensitive');
  const heartbeat = await get(hb.id);
  t.match(heartbeat, {
    status: 'up',
    pingCount: 4,
    lastPingAt: clock.iso(),
    lastPingKind: 'success',
    nextDeadlineAt: clock.iso(3600),
    downAt: clock.iso(3900),
  });
  t.same((await pings(hb.id)).data.map((p: any) => p.method).sort(), ['GET', 'GET', 'HEAD', 'POST']);
});

t.test('unknown uuid 404, bad exit code or rid 400, and nothing is recorded', async (t) => {
  const { create, ping, get } = await heartbeatWorld(t);
  const hb = await create();
  const unknown = await ping('/ping/00000000-0000-4000-8000-000000000000');
  t.equal(unknown.status, 404);
  t.match(JSON.parse(unknown.text), { error: { code: 'not_found' } });
  t.equal(unknown.headers.get('access-control-allow-origin'), '*');
  t.equal((await ping('/ping/not-a-uuid')).status, 404, 'a malformed uuid is just unknown');
  t.equal((await ping('/ping/00000000-0000-4000-8000-000000000000/start', { method: 'POST' })).status, 404);
  for (const path of [`/ping/${hb.uuid}/256`, `/ping/${hb.uuid}/-1`, `/ping/${hb.uuid}/abc`, `/ping/${hb.uuid}?rid=nope`, `/ping/${hb.uuid}/start?rid=123`]) {
    const answer = await ping(path);
    t.equal(answer.status, 400, path);
    t.match(JSON.parse(answer.text), { error: { code: 'validation_failed' } });
  }
  t.match(await get(hb.id), { status: 'new', pingCount: 0 });
});

t.test('a POST body of any media type is stored up to the limit, and its full size recorded', async (t) => {
  const { create, ping, pings } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}/log`, { method: 'POST', body: 'disk 91% full', headers: { 'content-type': 'text/plain' } });
  await ping(`/ping/${hb.uuid}`, { method: 'POST', body: 'rows=42&status=done', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  await ping(`/ping/${hb.uuid}`, { method: 'POST', body: '{"rows": 42}', headers: { 'content-type': 'application/json' } });
  // Byte 10000 is the first of a two-byte character.
  const long = `a${'é'.repeat(5000)}xyz`;
  await ping(`/ping/${hb.uuid}`, { method: 'POST', body: long, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  const octets = await ping(`/ping/${hb.uuid}/fail`, {
    method: 'POST',
    body: 'exit 3: no space left',
    headers: { 'content-type': 'application/octet-stream' },
  });
  t.equal(octets.status, 200, 'application/octet-stream (curl --data-binary with -H) is a ping like any other');
  const stored = (await pings(hb.id)).data.reverse();
  t.match(stored[0], { kind: 'log', body: 'disk 91% full', bodyBytes: 13, method: 'POST' });
  t.match(stored[1], { kind: 'success', body: 'rows=42&status=done' });
  t.match(stored[2], { body: '{"rows": 42}' });
  t.equal(stored[3].bodyBytes, Buffer.byteLength(long));
  t.equal(Buffer.byteLength(stored[3].body), 9_999, 'the first 10000 bytes, without the character cut in half at the limit');
  t.ok(long.startsWith(stored[3].body));
  t.match(stored[4], { kind: 'fail', body: 'exit 3: no space left', bodyBytes: 21 });
  t.match(stored[0], { userAgent: /node|undici/i, remoteAddr: /127\.0\.0\.1/ });
});

t.test('bodies other routes refuse are pings here: malformed JSON, binary, no media type, larger than the body limit', async (t) => {
  const { create, ping, get, pings } = await heartbeatWorld(t);
  const hb = await create();
  const malformed = await ping(`/ping/${hb.uuid}`, { method: 'POST', body: '{"rows": 4', headers: { 'content-type': 'application/json' } });
  t.equal(malformed.status, 200, 'a job that prints half a JSON document still pinged');
  const binary = await ping(`/ping/${hb.uuid}/log`, {
    method: 'POST',
    body: Buffer.from([0x6f, 0x6b, 0x00, 0xff, 0x0a]),
    headers: { 'content-type': 'application/octet-stream' },
  });
  t.equal(binary.status, 200);
  const bare = await ping(`/ping/${hb.uuid}/start`, { method: 'POST', body: new Blob(['no type']) });
  t.equal(bare.status, 200, 'a body without Content-Type');
  // Three times the platform's body limit (ITOPS_BODY_LIMIT_BYTES, 1 MiB by default): kept in part, not refused.
  const huge = Buffer.alloc(3 * 1024 * 1024, 'x');
  const big = await ping(`/ping/${hb.uuid}/0`, { method: 'POST', body: huge, headers: { 'content-type': 'text/plain' } });
  t.equal(big.status, 200, 'a body over the platform body limit is cut, not refused');
  const stored = (await pings(hb.id)).data.reverse();
  t.match(stored[0], { kind: 'success', body: '{"rows": 4', bodyBytes: 10 });
  t.match(stored[1], { kind: 'log', body: 'ok\uFFFD\uFFFD\n', bodyBytes: 5 }, 'NUL and bytes that are no UTF-8 read as U+FFFD');
  t.match(stored[2], { kind: 'start', body: 'no type', bodyBytes: 7 });
  t.match(stored[3], { kind: 'success', exitCode: 0, bodyBytes: huge.length });
  t.equal(stored[3].body.length, 10_000);
  t.equal((await get(hb.id)).pingCount, 4);
});

t.test('a ping body over 100 MiB answers 413 and records nothing', async (t) => {
  const { create, kernel, get } = await heartbeatWorld(t);
  const hb = await create();
  // Announced by Content-Length: refused before a byte of the body is read.
  const announced = await rawRequest(kernel.url, `/ping/${hb.uuid}`, { 'content-length': String(100 * 1024 * 1024 + 1) }, null);
  t.equal(announced.status, 413);
  t.match(JSON.parse(announced.body), { error: { code: 'payload_too_large' } });
  // Streamed (chunked): refused once the 100 MiB pass, and the connection closed.
  const chunk = Buffer.alloc(1024 * 1024, 'y');
  const streamed = await rawRequest(kernel.url, `/ping/${hb.uuid}/fail`, { 'transfer-encoding': 'chunked' }, function* () {
    for (let i = 0; i < 101; i++) yield chunk;
  });
  t.equal(streamed.status, 413);
  t.match(await get(hb.id), { status: 'new', pingCount: 0 });
});

t.test('start and success without rid: the run closes with its duration (executions show it)', async (t) => {
  const { create, ping, get, pings, executions, clock } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}`);
  clock.advance(60);
  await ping(`/ping/${hb.uuid}/start`);
  const started = await get(hb.id);
  t.match(started, { status: 'up', running: true, lastStartAt: clock.iso(), openRuns: [{ rid: null, startedAt: clock.iso() }] });
  t.equal(started.lastPingAt, clock.iso(-60), 'start does not change the last ping');
  clock.advance(42);
  await ping(`/ping/${hb.uuid}`);
  t.match(await get(hb.id), { running: false, openRuns: [], lastDurationMs: 42_000, lastPingAt: clock.iso() });
  const [success, start] = (await pings(hb.id)).data;
  t.match(success, { kind: 'success', durationMs: 42_000, startPingId: start.id });
  t.match(start, { kind: 'start', durationMs: null });
  const runs = (await executions(hb.id)).data;
  t.match(runs[0], { id: success.id, outcome: 'success', startedAt: clock.iso(-42), completedAt: clock.iso(), durationMs: 42_000 });
  t.match(runs[1], { outcome: 'success', startedAt: null, durationMs: null }, 'a ping without start is an execution too');
  t.equal(runs.length, 2, 'the paired start is not listed again');
});

t.test('rids pair starts with completions; a differing rid leaves the run open; no rid closes it without duration', async (t) => {
  const { create, ping, get, clock } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}/start?rid=${ridA}`);
  clock.advance(5);
  await ping(`/ping/${hb.uuid}?rid=${ridB}`);
  t.match(await get(hb.id), { status: 'up', running: true, openRuns: [{ rid: ridA }], lastDurationMs: null }, 'rid B closes nothing');
  clock.advance(5);
  await ping(`/ping/${hb.uuid}?rid=${ridA}`);
  t.match(await get(hb.id), { running: false, lastDurationMs: 10_000 }, 'rid A closes its run: 10 s');

  await ping(`/ping/${hb.uuid}/start?rid=${ridA}`);
  clock.advance(7);
  await ping(`/ping/${hb.uuid}`);
  t.match(await get(hb.id), { running: false, openRuns: [], lastDurationMs: null }, 'a ping without rid closes the run, without duration');
});

t.test('overlapping runs with rids each report their own duration', async (t) => {
  const { create, ping, get, executions, clock } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}/start?rid=${ridA}`);
  clock.advance(10);
  await ping(`/ping/${hb.uuid}/start?rid=${ridB}`);
  t.equal((await get(hb.id)).openRuns.length, 2);
  clock.advance(20);
  await ping(`/ping/${hb.uuid}?rid=${ridA}`);
  t.match(await get(hb.id), { lastDurationMs: 30_000, running: true, openRuns: [{ rid: ridB }] });
  clock.advance(5);
  await ping(`/ping/${hb.uuid}/0?rid=${ridB}`);
  t.match(await get(hb.id), { lastDurationMs: 25_000, running: false, lastExitCode: 0 });
  t.match(
    (await executions(hb.id)).data.map((e: any) => [e.rid, e.durationMs, e.outcome]),
    [
      [ridB, 25_000, 'success'],
      [ridA, 30_000, 'success'],
    ],
  );
});

t.test('fail and exit codes: 0 success, 1 and 255 fail (down at once, code kept), 256 refused', async (t) => {
  const { create, ping, get, kernel, acmeViewer } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}/0`);
  t.match(await get(hb.id), { status: 'up', lastExitCode: 0, lastPingKind: 'success' });
  await ping(`/ping/${hb.uuid}/1`);
  t.match(await get(hb.id), { status: 'down', lastExitCode: 1, lastPingKind: 'fail', statusReason: 'Failure ping with exit code 1', downAt: null });
  const alert = await eventually(async () => {
    const active = await call(kernel, 'GET', '/api/v1/alerts/active?source=containers', { headers: acmeViewer.headers });
    return active.json.data[0];
  });
  t.match(alert, { severity: 'critical', entityType: 'heartbeat', entityId: hb.id, title: 'Heartbeat nightly backup is down', message: /exit code 1/ });
  await ping(`/ping/${hb.uuid}/0`);
  t.match(await get(hb.id), { status: 'up', lastExitCode: 0 });
  const resolved = await eventually(async () => {
    const detail = await call(kernel, 'GET', `/api/v1/alerts/${alert?.id}`, { headers: acmeViewer.headers });
    return detail.json.status === 'resolved' ? detail.json : undefined;
  });
  t.ok(resolved, 'the alert resolves when the heartbeat is up again');
  await ping(`/ping/${hb.uuid}/255`);
  t.match(await get(hb.id), { status: 'down', lastExitCode: 255 });
  await ping(`/ping/${hb.uuid}/fail`);
  t.match(await get(hb.id), { status: 'down', lastExitCode: null, statusReason: 'Failure ping' });
  t.equal((await ping(`/ping/${hb.uuid}/256`)).status, 400);
  t.equal((await get(hb.id)).pingCount, 5);
});

t.test('log changes nothing; a paused heartbeat is un-paused by a success or fail ping, not by start or log (a start arms the run deadline)', async (t) => {
  const { create, ping, get, kernel, acmeOps, pings } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}/log`);
  t.match(await get(hb.id), { status: 'new', pingCount: 1, lastPingAt: null });
  await ping(`/ping/${hb.uuid}`);
  const up = await get(hb.id);
  await ping(`/ping/${hb.uuid}/log`, { method: 'POST', body: 'note' });
  const afterLog = await get(hb.id);
  t.same({ ...afterLog, pingCount: 0, updatedAt: 0 }, { ...up, pingCount: 0, updatedAt: 0 }, 'a log ping changes nothing but the count');
  t.equal((await pings(hb.id, '?kind=log')).data.length, 2);

  t.equal((await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/pause`, { headers: acmeOps.headers })).json.status, 'paused');
  await ping(`/ping/${hb.uuid}/start`);
  await ping(`/ping/${hb.uuid}/log`);
  t.match(await get(hb.id), { status: 'paused', downAt: String, nextDeadlineAt: null });
  await ping(`/ping/${hb.uuid}`);
  t.match(await get(hb.id), { status: 'up', nextDeadlineAt: String });
  await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/pause`, { headers: acmeOps.headers });
  await ping(`/ping/${hb.uuid}/fail`);
  t.match(await get(hb.id), { status: 'down' }, 'a fail ping un-pauses too');
});

t.test('heartbeat.pinged: on every status change, otherwise at most once a minute per heartbeat', async (t) => {
  const { create, ping, topics, clock } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}`);
  clock.advance(10);
  await ping(`/ping/${hb.uuid}`);
  await ping(`/ping/${hb.uuid}/start`);
  clock.advance(10);
  await ping(`/ping/${hb.uuid}/fail`);
  clock.advance(10);
  await ping(`/ping/${hb.uuid}/fail`);
  clock.advance(60);
  await ping(`/ping/${hb.uuid}/log`);
  const events = await topics();
  t.match(
    events.map((e) => [e.topic, e.payload.kind, e.payload.previousStatus, e.payload.status]),
    [
      ['heartbeat.pinged', 'success', 'new', 'up'],
      ['heartbeat.pinged', 'fail', 'up', 'down'],
      ['heartbeat.pinged', 'log', 'down', 'down'],
    ],
  );
  t.match(events[1].payload, { heartbeatId: hb.id, name: 'nightly backup', durationMs: 10_000, exitCode: null, receivedAt: clock.iso(-70) });
});
