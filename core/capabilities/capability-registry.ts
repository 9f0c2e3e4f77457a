import type { JsonSchema, Unregister } from '../plugin-api/types.ts';
import { createServiceToken } from '../plugin-api/tokens.ts';

/** `{agent}.{reasoner}`: what `POST /api/v1/execute/{agent}.{reasoner}` names. */
export const capabilityNamePattern = /^[a-z][a-z0-9_-]{0,63}\.[a-z][a-z0-9_-]{0,63}$/;

/** What a capability's handler learns of the run it serves. */
export interface CapabilityContext {
  /** The workspace the caller was authorized in; the handler acts in it only (`database.forTenant`). */
  tenantId: string;
  /** The agent run's id, for the handler's own records and logs. */
  runId: string;
  /** Aborted when the run's deadline passes; a handler stops work on it. */
  signal: AbortSignal;
  /** Who asked (user or API key id), for the handler's own audit fields. */
  principalId: string | null;
}

/**
 * A built-in agent capability: a plugin's own operation (restart a container, open an exclusion
 * window) that workflows and `POST /api/v1/execute/{agent}.{reasoner}` can run. The input is
 * validated against `inputSchema` before the handler sees it; what the handler returns is the run's
 * result (JSON).
 */
export interface CapabilityDeclaration<Input = any> {
  /** `{agent}.{reasoner}`, lower case, e.g. `sla.open_exclusion_window`. */
  name: string;
  description: string;
  inputSchema: JsonSchema;
  /** Whether running it twice with the same input is harmless (a workflow may then retry it). */
  retrySafe?: boolean;
  handler(input: Input, context: CapabilityContext): Promise<unknown>;
}

export interface RegisteredCapability extends CapabilityDeclaration {
  /** The plugin that registered it. */
  owner: string;
}

/**
 * What plugins get on `tokens.capabilities`: registrations are the plugin's own and undone when it
 * unloads, like everything else it registers through its context.
 */
export interface CapabilitiesService {
  register<Input>(capability: CapabilityDeclaration<Input>): void;
  get(name: string): RegisteredCapability | undefined;
  list(): RegisteredCapability[];
}

/** Every built-in capability of the running plugins, by name. One per kernel. */
export class CapabilityRegistry {
  private readonly capabilities = new Map<string, RegisteredCapability>();

  register(owner: string, capability: CapabilityDeclaration): Unregister {
    if (!capabilityNamePattern.test(capability.name)) {
      throw new Error(`plugin ${owner}: capability name "${capability.name}" must be {agent}.{reasoner} (${capabilityNamePattern.source})`);
    }
    const existing = this.capabilities.get(capability.name);
    if (existing) throw new Error(`capability "${capability.name}" is registered by both ${existing.owner} and ${owner}`);
    const registered = Object.freeze({ ...capability, owner });
    this.capabilities.set(capability.name, registered);
    return () => {
      if (this.capabilities.get(capability.name) === registered) this.capabilities.delete(capability.name);
    };
  }

  get(name: string): RegisteredCapability | undefined {
    return this.capabilities.get(name);
  }

  list(): RegisteredCapability[] {
    return [...this.capabilities.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The view one plugin gets: its registrations go to `undo`, which the kernel runs when the plugin unloads. */
  forPlugin(owner: string, undo: (fn: Unregister) => void): CapabilitiesService {
    return {
      register: (capability) => undo(this.register(owner, capability as CapabilityDeclaration)),
      get: (name) => this.get(name),
      list: () => this.list(),
    };
  }
}

/** What the kernel resolves `tokens.capabilities` to (scoped per plugin in plugin-scope.ts). */
export const capabilityRegistryToken = createServiceToken<CapabilityRegistry>('capability registry');
