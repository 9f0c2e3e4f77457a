import { useState } from 'preact/hooks';
import { getUntyped } from '../api.ts';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import type { ConsolePage } from '../session.ts';
import { can, useSession } from '../session.ts';
import { cellShape, columnTitle } from './plugin-cells.ts';
import { PluginCreateForm } from './plugin-create.tsx';

type Row = Record<string, unknown>;

/** The rows of a list answer, whatever envelope the plugin's API uses (`data`, `anomalies`, `services`, ...). */
function rowsOf(body: unknown): Row[] {
  if (Array.isArray(body)) return body as Row[];
  if (body && typeof body === 'object') {
    const lists = Object.values(body).filter(Array.isArray);
    if (lists.length) return lists[0] as Row[];
  }
  return [];
}

function Cell(props: { field: string; value: unknown }) {
  const shape = cellShape(props.field, props.value);
  if (shape.kind === 'time') return <Time at={shape.at} />;
  if (shape.kind === 'badge') return <StatusBadge status={shape.text} />;
  return <>{shape.text}</>;
}

/** A page a plugin declared: its list operation as a table, and its create form when it declares one. */
export function PluginPage(props: { page: ConsolePage }) {
  const { session } = useSession();
  const { page } = props;
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string>();
  const create = page.create && can(session, page.create.permission) ? page.create : undefined;
  // The console does not know which topics a plugin's rows follow: any event reloads them (once a second at most).
  const tick = useLiveTick(['']);
  const rows = useLoad(() => (page.list ? getUntyped(page.list).then(rowsOf) : Promise.resolve([] as Row[])), [page.list, session.workspace, tick]);
  const columns = page.columns ?? Object.keys(rows.data?.[0] ?? {}).slice(0, 6);
  return (
    <>
      <PageHeader title={page.title}>
        {create && !creating ? (
          <button
            type="button"
            class="primary"
            onClick={() => {
              setNotice(undefined);
              setCreating(true);
            }}
          >
            {create.label}
          </button>
        ) : null}
      </PageHeader>
      <p class="muted">Contributed by the {page.plugin} plugin.</p>
      <p role="status" class="notice">
        {notice ?? ''}
      </p>
      {create && creating ? (
        <PluginCreateForm
          form={create}
          onCreated={(text) => {
            setNotice(text);
            setCreating(false);
            rows.reload();
          }}
          onCancel={() => setCreating(false)}
        />
      ) : null}
      <ErrorNote error={rows.error} />
      <Section title={`All ${page.title.toLowerCase()}`}>
        <Table
          caption={page.title}
          rows={rows.data}
          empty={create ? `Nothing here yet: “${create.label}” adds the first.` : 'Nothing here yet.'}
          columns={columns.map((c) => ({ title: columnTitle(c), cell: (r: Row) => <Cell field={c} value={r[c]} /> }))}
        />
      </Section>
    </>
  );
}
