import type { Adapter, Model } from 'casbin';
import type { SqlQuery as Query } from '../db/sql-handles.ts';

export interface PolicyRule {
  ptype: 'p' | 'g';
  values: string[];
}

/**
 * Casbin adapter over the `rbac_policy` table for custom grants, plus the default grants that core
 * modules and loaded plugins declare in their manifests (kept in memory: they follow what is loaded).
 */
export class PolicyAdapter implements Adapter {
  constructor(
    private readonly query: Query,
    private readonly defaults: () => PolicyRule[],
  ) {}

  async loadPolicy(model: Model): Promise<void> {
    for (const rule of this.defaults()) model.addPolicy(rule.ptype, rule.ptype, rule.values);
    const rows = await this.query<{ ptype: 'p' | 'g'; v0: string; v1: string; v2: string; v3: string }>(
      'SELECT ptype, v0, v1, v2, v3 FROM rbac_policy ORDER BY id',
    );
    for (const row of rows) {
      const values = row.ptype === 'p' ? [row.v0, row.v1, row.v2, row.v3] : [row.v0, row.v1, row.v2];
      model.addPolicy(row.ptype, row.ptype, values);
    }
  }

  async savePolicy(): Promise<boolean> {
    throw new Error('policies are saved one rule at a time');
  }

  async addPolicy(_sec: string, ptype: string, rule: string[]): Promise<void> {
    const [v0 = '', v1 = '', v2 = '', v3 = ''] = rule;
    await this.query('INSERT INTO rbac_policy (ptype, v0, v1, v2, v3) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [ptype, v0, v1, v2, v3]);
  }

  async removePolicy(_sec: string, ptype: string, rule: string[]): Promise<void> {
    const [v0 = '', v1 = '', v2 = '', v3 = ''] = rule;
    await this.query('DELETE FROM rbac_policy WHERE ptype = ? AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?', [ptype, v0, v1, v2, v3]);
  }

  async removeFilteredPolicy(): Promise<void> {
    throw new Error('filtered removal is not supported');
  }
}
