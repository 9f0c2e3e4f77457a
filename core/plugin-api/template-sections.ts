import type { Tx } from '../db/sql-handles.ts';
import { AppError } from '../errors/app-error.ts';
import type { JsonSchema, Principal } from './types.ts';

/** What one import did with a section's items, by their keys. */
export interface TemplateSectionReport {
  created: string[];
  updated: string[];
  skipped: string[];
}

/**
 * A section of the templates document (`GET /api/v1/templates/export`, `POST /api/v1/templates/import`)
 * that another plugin than the one serving the templates holds, e.g. the automation plugin's `workflows`.
 * Both functions run in the workspace's transaction of the export or import (a dry run rolls it back).
 */
export interface TemplateSection {
  /** The document's key, `[a-z][A-Za-z0-9]*`. */
  name: string;
  /** JSON schema of one item; the document's section is an array of them. */
  itemSchema: JsonSchema;
  /**
   * The permissions a caller needs for this section, besides the templates operation's own: what
   * writing or reading the section's items through their own API needs. A templates import may not
   * do what the section's own API refuses the caller (such as creating workflows).
   */
  permissions: { import: string; export: string };
  /** How an item is named in duplicate checks and in the import report. */
  keyOf(item: Record<string, unknown>): string;
  /** The workspace's items, in a stable order. */
  export(tx: Tx): Promise<Record<string, unknown>[]>;
  /**
   * Creates or updates the items by their key (an unchanged one is skipped without a write) and
   * reports each key. Throws AppError('validation_failed') with JSON-pointer details relative to the
   * section (`/0/steps/1/url`) for what its schema cannot say.
   */
  import(tx: Tx, items: Record<string, unknown>[], report: TemplateSectionReport): Promise<void>;
}

/** Who imports or exports, as the router authorized the templates operation. */
export interface TemplateCaller {
  principal: Principal | null;
  tenantId?: string;
}

/** The sections contributed by loaded plugins (`tokens.templateSections`). */
export interface TemplateSectionsService {
  /** Adds a section while the plugin is loaded; returns its removal (pass it to `ctx.onUnload`). */
  contribute(section: TemplateSection): () => void;
  sections(): TemplateSection[];
  /**
   * Checks that the caller holds the section's permission for `use`, as the router checks an
   * operation's `x-permission`: throws AppError('forbidden') naming the permission. The plugin
   * serving the templates calls it for every contributed section a request reads or writes.
   */
  authorize(caller: TemplateCaller, section: TemplateSection, use: 'import' | 'export'): Promise<void>;
}

/** The router's permission check (the platform's access control), for a principal in a workspace. */
export type AuthorizePermission = (principal: Principal, permission: string, tenantId?: string) => Promise<unknown>;

export function createTemplateSections(authorizePermission: AuthorizePermission): TemplateSectionsService {
  const sections = new Map<string, TemplateSection>();
  return {
    async authorize(caller, section, use) {
      const permission = section.permissions[use];
      if (!caller.principal) throw new AppError('unauthorized', 'Authentication is required');
      await authorizePermission(caller.principal, permission, caller.tenantId);
    },
    contribute(section) {
      if (sections.has(section.name)) throw new Error(`the templates section "${section.name}" is contributed twice`);
      sections.set(section.name, section);
      return () => {
        if (sections.get(section.name) === section) sections.delete(section.name);
      };
    },
    sections: () => [...sections.values()],
  };
}
