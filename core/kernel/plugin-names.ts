import { createServiceToken, type EventsService, type JobsService, type PluginManifest } from '../plugin-api/index.ts';
import { AppError } from '../errors/app-error.ts';

/**
 * The events service without the ownership check, for the test kit's services probe only: tests and
 * benches drive a plugin's internals (which publish that plugin's topics) from outside it. Not
 * exported by the plugin API.
 */
export const unscopedEventsToken = createServiceToken<EventsService>('events, unscoped (tests)');

/**
 * One naming rule for everything a plugin declares: a plugin id is one lower-case word
 * (`[a-z][a-z0-9_]*`), and every name it owns is `<pluginId>.<name>` in that alphabet: jobs and
 * worker tasks (the kernel adds the prefix), permissions (`<pluginId>[.<resource>]:<action>`), and
 * topics. Topics whose names the public contract already fixed (`heartbeat.pinged`, `sla:alert`)
 * keep them: their namespace (the text before the first `.` or `:`) is mapped to the plugin through
 * its manifest's `topicNamespaces`, and no two plugins may claim the same namespace.
 */
export const pluginIdPattern = '^[a-z][a-z0-9_]{1,39}$';
export const localNamePattern = '^[a-z][a-z0-9_]{0,62}$';
const word = '[a-z][a-z0-9_]*';

export const topicNamespace = (topic: string) => topic.split(/[.:]/, 1)[0];

/** Problems with the names of one manifest, each prefixed with `where`. */
export function namingProblems(manifest: PluginManifest, where: string): string[] {
  const problems: string[] = [];
  const permission = new RegExp(`^${manifest.id}(\\.${word})*:${word}$`);
  for (const { name } of manifest.permissions ?? []) {
    if (!permission.test(name)) problems.push(`${where}: permission "${name}" must be named ${manifest.id}[.<resource>]:<action>`);
  }
  const namespaces = new Set([manifest.id, ...(manifest.topicNamespaces ?? [])]);
  for (const { topic } of manifest.events ?? []) {
    if (!namespaces.has(topicNamespace(topic)))
      problems.push(`${where}: topic "${topic}" must start with "${manifest.id}." or with a namespace the manifest lists in topicNamespaces`);
  }
  return problems;
}

/** The namespaces (and import kind names) `manifest` claims that a plugin in `others` (or the core) already owns. */
export function namespaceClashes(manifest: PluginManifest, others: Iterable<PluginManifest>, coreTopics: Iterable<string> = []): string[] {
  const owner = new Map<string, string>();
  for (const topic of coreTopics) owner.set(topicNamespace(topic), 'the core');
  for (const other of others) {
    if (other.id === manifest.id) continue;
    for (const namespace of [other.id, ...(other.topicNamespaces ?? [])]) owner.set(namespace, `plugin ${other.id}`);
  }
  const kinds = new Map<string, string>();
  for (const other of others) if (other.id !== manifest.id) for (const kind of other.importKinds ?? []) kinds.set(kind.name, other.id);
  return [
    ...(manifest.topicNamespaces ?? []).filter((ns) => owner.has(ns)).map((ns) => `topic namespace "${ns}" is already owned by ${owner.get(ns)}`),
    // Clients name a kind without its plugin (`kind=services`), so one name has one owner.
    ...(manifest.importKinds ?? []).filter((k) => kinds.has(k.name)).map((k) => `import kind "${k.name}" is already offered by plugin ${kinds.get(k.name)}`),
  ];
}

/**
 * What one plugin may publish and send to: its own topics and queues, and those a plugin it
 * requires marks `exported`. Anything else is a programming error, refused before it is written.
 */
export class PluginReach {
  private topics?: Set<string>;
  private queues?: Set<string>;

  constructor(
    private readonly manifest: PluginManifest,
    private readonly required: () => PluginManifest[],
  ) {}

  private load(): void {
    if (this.topics && this.queues) return;
    const own = this.manifest;
    this.topics = new Set((own.events ?? []).map((e) => e.topic));
    this.queues = new Set((own.jobs ?? []).map((j) => `${own.id}.${j.name}`));
    for (const other of this.required()) {
      for (const event of other.events ?? []) if (event.exported) this.topics.add(event.topic);
      for (const job of other.jobs ?? []) if (job.exported) this.queues.add(`${other.id}.${job.name}`);
    }
  }

  events(events: EventsService): EventsService {
    const check = (topic: string) => {
      this.load();
      if (!this.topics?.has(topic))
        throw new AppError('internal', `plugin ${this.manifest.id} publishes "${topic}", which it does not declare and no plugin it requires exports`);
    };
    return {
      ...events,
      publish: (tx, event) => {
        check(event.topic);
        return events.publish(tx, event);
      },
      publishMany: (tx, list) => {
        for (const event of list) check(event.topic);
        return events.publishMany(tx, list);
      },
    };
  }

  jobs(jobs: JobsService): JobsService {
    return {
      send: (queue, payload, options) => {
        this.load();
        if (!this.queues?.has(queue))
          throw new AppError('internal', `plugin ${this.manifest.id} sends to "${queue}", which is not its own queue and no plugin it requires exports it`);
        return jobs.send(queue, payload, options);
      },
    };
  }
}
