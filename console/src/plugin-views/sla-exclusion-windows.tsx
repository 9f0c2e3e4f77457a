import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { can, useSession } from '../session.ts';
import { slaTopics } from './sla-trend.tsx';

/**
 * Exclusion (maintenance) windows: the time a service spends in one is left out of its SLA. An
 * operator starts one for a service (with a reason and when it should end) and stops it when the
 * work is done; a window left open past its expected end is flagged overdue.
 */
export function SlaExclusionWindowsView() {
  const { session } = useSession();
  const tick = useLiveTick(slaTopics);
  const windows = useLoad(() => ok(api.GET('/api/v1/sla/exclusion-windows', { params: { query: { limit: 100 } } })), [tick, session.workspace]);
  const services = useLoad(() => ok(api.GET('/api/v1/sla/services', { params: { query: { limit: 200 } } })), [session.workspace]);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const mayWrite = can(session, 'sla:report');
  const act = async (done: string, call: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await call();
      setNotice(done);
      windows.reload();
      return true;
    } catch (e) {
      setError(describeError(e));
      return false;
    }
  };
  return (
    <>
      <PageHeader title="Exclusion windows" />
      <p role="status" class="notice">
        {notice ?? ''}
      </p>
      <ErrorNote error={error ?? windows.error ?? services.error} />
      <Section title="Windows">
        <Table
          caption="Exclusion windows"
          rows={windows.data?.data}
          empty="No exclusion window yet."
          columns={[
            { title: 'Service', cell: (w) => w.service },
            { title: 'Node', cell: (w) => w.nodeId },
            { title: 'Reason', cell: (w) => w.reason ?? '' },
            { title: 'Started', cell: (w) => <Time at={w.startedAt} /> },
            { title: 'Expected end', cell: (w) => (w.expectedEndAt ? <Time at={w.expectedEndAt} /> : 'not given') },
            { title: 'Status', cell: (w) => <StatusBadge status={w.overdue ? 'overdue' : w.active ? 'active' : 'ended'} /> },
            { title: 'Ended', cell: (w) => (w.endedAt ? <Time at={w.endedAt} /> : 'open') },
            {
              title: 'Actions',
              cell: (w) =>
                mayWrite && w.active ? (
                  <button
                    type="button"
                    onClick={() =>
                      act(`Window on ${w.service} stopped: its time counts again.`, () =>
                        ok(api.POST('/api/v1/sla/exclusion-window/stop', { body: { service: w.service, nodeId: w.nodeId } })),
                      )
                    }
                  >
                    Stop window on {w.service}
                  </button>
                ) : null,
            },
          ]}
        />
      </Section>
      {mayWrite && services.data?.data.length ? (
        <Section title="Start a window">
          <form
            class="form-grid"
            onSubmit={(event) => {
              event.preventDefault();
              const formElement = event.currentTarget as HTMLFormElement;
              const form = new FormData(formElement);
              const service = services.data?.data.find((s) => s.id === form.get('service'));
              if (!service) return;
              const reason = String(form.get('reason') ?? '').trim();
              // The input holds the operator's local time; the API takes an RFC 3339 instant.
              const end = String(form.get('expectedEndAt') ?? '');
              const body = {
                service: service.name,
                nodeId: service.nodeId,
                ...(reason ? { reason } : {}),
                ...(end ? { expectedEndAt: new Date(end).toISOString() } : {}),
              };
              void act(`Window on ${service.name} started: its time is left out of the SLA until stopped.`, () =>
                ok(api.POST('/api/v1/sla/exclusion-window/start', { body })),
              ).then((started) => started && formElement.reset());
            }}
          >
            <label for="window-service">Service</label>
            <select id="window-service" name="service">
              {services.data.data.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.displayName ?? s.name} ({s.nodeId})
                </option>
              ))}
            </select>
            <label for="window-reason">Reason</label>
            <input id="window-reason" name="reason" maxLength={500} />
            <label for="window-end">Expected end (your time, optional)</label>
            <input id="window-end" name="expectedEndAt" type="datetime-local" />
            <button type="submit">Start window</button>
          </form>
        </Section>
      ) : null}
    </>
  );
}
