/**
 * Test helpers for plugin authors, as `itops/plugin-api/testing`: boot a real server with your
 * plugin on a database of its own, sign in as any role, call it over HTTP, wait for what happens
 * after commit. Works under any test runner (tap, node:test through tsx), inside or outside the
 * host's checkout. Import it from *.test.ts files only.
 */
export { startTestServer, type TestServer, type TestServerOptions, type TestActor, type TestPluginState } from '../testing/test-server.ts';
export type { CallOptions, CallResult, Teardown } from '../testing/test-kernel.ts';
export { eventually } from '../testing/eventually.ts';

// For the host's own tests, which reach into the kernel; not part of the kit a plugin builds on.
export { startTestKernel, call, type TestKernelOptions } from '../testing/test-kernel.ts';
export { testAccess } from '../testing/test-access.ts';
export { subscriptionClient } from '../testing/graphql-ws-client.ts';
export { servicesProbe, type ProbedServices } from '../testing/services-probe.ts';
export { browserTestTimeoutMs, chromiumSkip, openChromium } from '../testing/chromium.ts';
