import { Migration } from '@mikro-orm/migrations';

/** What the kernel loaded, when, and why a plugin stayed off: read by /.well-known/engine-status. */
export class CorePluginState extends Migration {
  override name = '0001-core-plugin-state';

  override up(): void {
    this.addSql(`
      CREATE TABLE core_plugin_state (
        plugin_id   text PRIMARY KEY,
        version     text NOT NULL,
        state       text NOT NULL CHECK (state IN ('loaded', 'unloaded', 'failed', 'disabled')),
        error       text,
        changed_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  override down(): void {
    this.addSql('DROP TABLE core_plugin_state');
  }
}
