import { AppError, type DatabaseService, defineList } from '../../../core/plugin-api/index.ts';
import { versionedResource } from '../versioned-resource.ts';
import { type BusinessCalendar, calendarProblems } from './business-hours.ts';
import { type PolicyRow, policyView } from './policy-rows.ts';

/** SLA policies in the resource pattern; a calendar is checked beyond what the contract can say (its zone, its hours). */
export function slaPolicies(database: DatabaseService) {
  return versionedResource<PolicyRow, ReturnType<typeof policyView>>(database, {
    table: 'ticket_sla_policy',
    noun: 'SLA policy',
    fields: {
      name: { column: 'name', default: undefined },
      description: { column: 'description', default: '' },
      isDefault: { column: 'is_default', default: false },
      targets: { column: 'targets', json: true, default: {} },
      calendar: { column: 'calendar', json: true, default: null },
      escalation: { column: 'escalation', json: true, default: [] },
    },
    list: defineList({
      from: 'ticket_sla_policy',
      sortable: { name: 'lower(name)', createdAt: 'created_at', updatedAt: 'updated_at' },
      defaultSort: 'name',
      equals: { isDefault: 'is_default' },
      search: ['name', 'description'],
      view: policyView,
    }),
    view: policyView,
    async check(tx, merged) {
      const calendar = merged.calendar as BusinessCalendar | null;
      if (calendar) {
        merged.calendar = { ...calendar, holidays: calendar.holidays ?? [] };
        const problems = calendarProblems(merged.calendar as BusinessCalendar);
        if (problems.length > 0)
          throw new AppError('validation_failed', 'The calendar is not usable', { details: problems.map((message) => ({ path: '/calendar', message })) });
      }
      // One default per workspace: naming a new one takes the mark from the old.
      if (merged.isDefault) await tx.query('UPDATE ticket_sla_policy SET is_default = false WHERE is_default AND lower(name) <> lower(?)', [merged.name]);
    },
  });
}
