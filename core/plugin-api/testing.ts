/**
 * Test helpers for plugin authors: boot a real kernel with your plugin against a database of its
 * own and call it over HTTP. Import from `core/plugin-api/testing` in *.test.ts files only.
 */
export { startTestKernel, call, type TestKernelOptions } from '../testing/test-kernel.ts';
export { testAccess } from '../testing/test-access.ts';
export { subscriptionClient } from '../testing/graphql-ws-client.ts';
export { servicesProbe, type ProbedServices } from '../testing/services-probe.ts';
