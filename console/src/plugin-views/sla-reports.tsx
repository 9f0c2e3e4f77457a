import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { ErrorNote, PageHeader, Section, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { can, useSession } from '../session.ts';

/** Daily SLA reports, and a button to make yesterday's now. */
export function SlaReportsView() {
  const { session } = useSession();
  const tick = useLiveTick(['sla.report']);
  const reports = useLoad(() => ok(api.GET('/api/v1/sla/reports', { params: { query: { limit: 60 } } })), [tick]);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  return (
    <>
      <PageHeader title="Daily reports">
        {can(session, 'sla:report') ? (
          <button
            type="button"
            onClick={async () => {
              setError(undefined);
              try {
                await ok(api.POST('/api/v1/sla/report/generate', { body: {} }));
                setNotice('Report requested: it appears here when it is ready.');
                reports.reload();
              } catch (e) {
                setError(describeError(e));
              }
            }}
          >
            Generate yesterday's report
          </button>
        ) : null}
      </PageHeader>
      <p role="status" class="notice">
        {notice ?? ''}
      </p>
      <ErrorNote error={error ?? reports.error} />
      <Section title="Reports">
        <Table
          caption="Daily reports"
          rows={reports.data?.data}
          empty="No report yet: one is made every day."
          columns={[
            { title: 'Day', cell: (r) => r.reportDate },
            { title: 'Services', cell: (r) => r.summary.services },
            { title: 'Met', cell: (r) => r.summary.met },
            { title: 'At risk', cell: (r) => r.summary.atRisk },
            { title: 'Breached', cell: (r) => r.summary.breached },
            { title: 'Average uptime', cell: (r) => (r.summary.averageUptime == null ? '—' : `${Number(r.summary.averageUptime).toFixed(3)} %`) },
            { title: 'Generated', cell: (r) => <Time at={r.generatedAt} /> },
          ]}
        />
      </Section>
    </>
  );
}
