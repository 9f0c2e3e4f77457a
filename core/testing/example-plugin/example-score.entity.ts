import { defineEntity, p } from '@mikro-orm/postgresql';

export const ExampleScore = defineEntity({
  name: 'ExampleScore',
  tableName: 'example_score',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.string().fieldName('tenant_id'),
    label: p.string(),
    score: p.double(),
    createdAt: p.datetime().fieldName('created_at'),
  },
});
