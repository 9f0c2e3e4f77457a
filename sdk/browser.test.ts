import { build } from 'esbuild';
import t from 'tap';
import { browserTestTimeoutMs, chromiumSkip, openChromium, startTestServer } from '../core/plugin-api/testing.ts';
import { createContainersPlugin } from '../plugins/containers/plugin.ts';

t.setTimeout(browserTestTimeoutMs);

/**
 * The browser entry bundled for browsers: esbuild's browser platform cannot resolve `node:`
 * modules, so a Node-only import anywhere under sdk/browser.ts fails the build.
 */
async function browserBundle(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('./browser.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'itopsSdk',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

t.test('the browser entry bundles without Node built-ins', async (t) => {
  const bundle = await browserBundle();
  t.notMatch(bundle, /require\(["']node:/, 'no node: module in the bundle');
});

t.test('in Chromium: sign-in token, typed calls, pagination, typed errors, a ping and a graphql-ws event', { skip: chromiumSkip }, async (t) => {
  const server = await startTestServer(t, { plugins: [createContainersPlugin()] });
  await server.activateLicense({ plugins: ['containers'] });
  const member = await server.loginAs('ops_engineer', 'browser-ws');
  const bundle = await browserBundle();
  const context = await openChromium(t);
  // The SDK runs in a page of the API's own origin, as a console built on it would. A page that
  // Playwright fulfilled itself counts as public to Chromium's local network access checks, which
  // then refuse its WebSocket to 127.0.0.1; so the page is one the server really serves, with the
  // bundle added as an init script.
  await context.addInitScript({ content: `${bundle}\nglobalThis.itopsSdk = itopsSdk;` });
  const page = await context.newPage();
  await page.goto(`${server.url}/health`);

  const outcome = await page.evaluate(
    async ({ baseUrl, token, workspaceId }) => {
      const sdk = (globalThis as any).itopsSdk;
      const itops = sdk.createItopsClient({ baseUrl, token, workspaceId });
      const heartbeat = await sdk.ok(itops.POST('/api/v1/heartbeats', { body: { name: 'from-the-browser', periodSeconds: 600 } }));
      const ws = sdk.createSubscriptionClient(itops, { retryAttempts: 0 });
      const events = sdk.subscribeEvents(ws, ['heartbeat.pinged']);
      const first = events.next();
      // The subscription is registered once the server has it; give it the moment the socket needs.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await sdk.ping(itops, heartbeat.uuid);
      const event = await first;
      await ws.dispose();
      const names: string[] = [];
      for await (const item of sdk.paginate((offset: number, limit: number) =>
        sdk.ok(itops.GET('/api/v1/heartbeats', { params: { query: { offset, limit } } })),
      ))
        names.push(item.name);
      const missing = await sdk.ok(itops.GET('/api/v1/heartbeats/{id}', { params: { path: { id: crypto.randomUUID() } } })).catch((error: any) => error);
      return {
        names,
        eventTopic: event.value.topic,
        eventHeartbeat: event.value.payload.heartbeatId === heartbeat.id,
        error: { isApiError: missing instanceof sdk.ItopsApiError, status: missing.status, code: missing.code },
      };
    },
    { baseUrl: server.url, token: member.token, workspaceId: 'browser-ws' },
  );
  t.same(outcome.names, ['from-the-browser'], 'created and listed');
  t.equal(outcome.eventTopic, 'heartbeat.pinged', 'the ping arrived over graphql-ws');
  t.ok(outcome.eventHeartbeat, 'for this heartbeat');
  t.same(outcome.error, { isApiError: true, status: 404, code: 'not_found' }, 'a 404 is an ItopsApiError in the browser too');
});
