import t from 'tap';
import { eventually } from '../../../core/plugin-api/testing.ts';
import ticketing from '../../ticketing/plugin.ts';
import { startAutomation } from '../automation.testkit.ts';

type World = Awaited<ReturnType<typeof startAutomation>>;

const finished = (w: World, id: string) =>
  eventually(async () => {
    const { json } = await w.read(`/api/v1/workflow-executions/${id}`, w.acmeOps);
    return ['succeeded', 'failed', 'cancelled'].includes(json.status) ? json : undefined;
  });

const triage = [
  { id: 'ask', type: 'AGENT', agent: 'automation.echo', input: { message: 'disk at {{ $.input.percent }}% on {{ $.input.host }}' } },
  { id: 'open', type: 'TICKET', title: 'Disk full on {{ $.input.host }}', message: '{{ $.steps.ask.output.result.message }}', priority: 'high' },
  { id: 'park', type: 'TICKET', ticketId: '{{ $.steps.open.output.id }}', status: 'pending', message: 'waiting for the vendor' },
];

t.test('AGENT and TICKET steps: an agent capability runs, its answer opens a ticket, the next step updates it', async (t) => {
  const w = await startAutomation(t, { plugins: [ticketing] });
  const created = await w.write('POST', '/api/v1/workflows', w.acmeOps, { name: 'Disk triage', trigger: { type: 'manual' }, steps: triage });
  t.equal(created.status, 201, created.text);
  const run = await w.write('POST', `/api/v1/workflows/${created.json.id}/run`, w.acmeOperator, { input: { host: 'db-1', percent: 97 } });
  t.equal(run.status, 202, run.text);
  const execution = await finished(w, run.json.id);
  t.match(execution, { status: 'succeeded', failureCode: null });
  t.match(
    execution.steps.find((s: any) => s.stepId === 'ask'),
    { status: 'succeeded', output: { result: { message: 'disk at 97% on db-1' }, runId: String } },
  );
  const ticketId = execution.steps.find((s: any) => s.stepId === 'open').output.id;

  const ticket = (await w.read(`/api/v1/tickets/${ticketId}`, w.acmeOps)).json;
  t.match(ticket, { title: 'Disk full on db-1', description: 'disk at 97% on db-1', priority: 'high', status: 'pending', source: 'workflow' });
  const timeline = (await w.read(`/api/v1/tickets/${ticketId}/timeline`, w.acmeOps)).json.data;
  t.ok(
    timeline.some((e: any) => e.kind === 'comment' && e.body === 'waiting for the vendor' && e.visibility === 'internal'),
    'the update left an internal note',
  );
  const runs = (await w.read(`/api/v1/agent-runs/${execution.steps[0].output.runId}`, w.acmeOps)).json;
  t.match(runs, { target: 'automation.echo', status: 'succeeded' }, 'the agent run is recorded like an execute call');
  t.equal((await w.read(`/api/v1/tickets/${ticketId}`, w.globexAdmin)).status, 404, 'the ticket is the workspace’s own');
});

t.test('AGENT and TICKET steps fail clearly: unknown capability, bad input, no ticketing, bad definitions', async (t) => {
  const w = await startAutomation(t);
  const make = async (name: string, steps: unknown[]) => w.write('POST', '/api/v1/workflows', w.acmeOps, { name, trigger: { type: 'manual' }, steps });
  const runOf = async (workflowId: string) => finished(w, (await w.write('POST', `/api/v1/workflows/${workflowId}/run`, w.acmeOperator)).json.id);

  const unknown = await make('Unknown agent', [{ id: 'a', type: 'AGENT', agent: 'nobody.nothing' }]);
  t.match(await runOf(unknown.json.id), { status: 'failed', failureCode: 'agent_not_found' });
  const badInput = await make('Bad input', [{ id: 'a', type: 'AGENT', agent: 'automation.echo', input: { nope: true } }]);
  t.match(await runOf(badInput.json.id), { status: 'failed', failureCode: 'agent_input_invalid' });
  const noTicketing = await make('No ticketing', [{ id: 't', type: 'TICKET', title: 'x' }]);
  t.match(await runOf(noTicketing.json.id), { status: 'failed', failureCode: 'ticketing_unavailable' }, 'ticketing is not loaded here');

  const neither = await make('Neither', [{ id: 't', type: 'TICKET', message: 'x' }]);
  t.equal(neither.status, 400);
  t.match(neither.json, { error: { code: 'validation_failed' } });
  const misplaced = await make('Misplaced', [{ id: 'h', type: 'HTTP_REQUEST', url: 'https://example.com', title: 'x' }]);
  t.equal(misplaced.status, 400);
  const badAgent = await make('Bad agent name', [{ id: 'a', type: 'AGENT', agent: 'Not A Capability' }]);
  t.equal(badAgent.status, 400);
  const noAgent = await make('No agent', [{ id: 'a', type: 'AGENT' }]);
  t.equal(noAgent.status, 400);
});
