import { useEffect, useState } from 'preact/hooks';
import { getUntyped } from '../api.ts';
import { Pager } from '../components/pager.tsx';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import type { ConsolePage } from '../session.ts';
import { can, useSession } from '../session.ts';
import { cellShape, columnTitle } from './plugin-cells.ts';
import { PluginCreateForm } from './plugin-create.tsx';
import { listHeading, listOf, type Row } from './plugin-list.ts';

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
  const [offset, setOffset] = useState(0);
  useEffect(() => setOffset(0), [session.workspace]);
  const list = useLoad<ReturnType<typeof listOf>>(
    () => (page.list ? getUntyped(page.list, offset > 0 ? { offset } : {}).then(listOf) : Promise.resolve({ rows: [] as Row[] })),
    [page.list, session.workspace, tick, offset],
  );
  const rows = list.data?.rows;
  const columns = page.columns ?? Object.keys(rows?.[0] ?? {}).slice(0, 6);
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
            // Lists show the newest first: the new row is on the first page.
            if (offset === 0) list.reload();
            else setOffset(0);
          }}
          onCancel={() => setCreating(false)}
        />
      ) : null}
      <ErrorNote error={list.error} />
      <Section title={listHeading(page.title)}>
        <Table
          caption={page.title}
          rows={rows}
          empty={create ? `Nothing here yet: “${create.label}” adds the first.` : 'Nothing here yet.'}
          columns={columns.map((c) => ({ title: columnTitle(c), cell: (r: Row) => <Cell field={c} value={r[c]} /> }))}
        />
        <Pager page={list.data?.page} onOffset={setOffset} label={page.title} />
      </Section>
    </>
  );
}
