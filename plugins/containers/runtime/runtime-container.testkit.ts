import type { RuntimeContainer } from './runtime-adapter.ts';

/** A running container as a runtime would describe it, named by its id unless `overrides` say otherwise. */
export const describedContainer = (externalId: string, overrides: Partial<RuntimeContainer> = {}): RuntimeContainer => ({
  externalId,
  name: externalId,
  image: 'nginx:1.25.3',
  imageDigest: null,
  state: 'running',
  health: null,
  labels: {},
  composeProject: null,
  composeService: null,
  namespace: null,
  workloadKind: null,
  workloadName: null,
  host: 'h1',
  createdAt: null,
  startedAt: new Date('2026-03-10T11:00:00Z'),
  finishedAt: null,
  exitCode: null,
  restartCount: 0,
  ...overrides,
});
