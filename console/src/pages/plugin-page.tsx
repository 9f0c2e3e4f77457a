import { useEffect, useState } from 'preact/hooks';
import { getUntyped } from '../api.ts';
import { Pager } from '../components/pager.tsx';
import { ErrorNote, PageHeader, Section, Table } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import type { ConsolePage } from '../session.ts';
import { can, useSession } from '../session.ts';
import { columnTitle } from './plugin-cells.ts';
import { Cell } from './cell-view.tsx';
import { ListFilters } from './list-filters.tsx';
import { PluginForm } from './plugin-form.tsx';
import { listHeading, listOf, type Row } from './plugin-list.ts';
import { createdName } from './schema-form.ts';

/**
 * A page a plugin declared: its list operation as a paged table with the operation's filters, rows
 * linked to their own page when the contract has one, and its create form when it declares one.
 */
export function PluginPage(props: { page: ConsolePage }) {
  const { session } = useSession();
  const { page } = props;
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string>();
  const create = page.create && can(session, page.create.permission) ? page.create : undefined;
  // The console does not know which topics a plugin's rows follow: any event reloads them (once a second at most).
  const tick = useLiveTick(['']);
  const [offset, setOffset] = useState(0);
  const [filter, setFilter] = useState<Record<string, string>>({});
  const [sort, setSort] = useState<{ by: string; order: 'asc' | 'desc' }>();
  useEffect(() => setOffset(0), [session.workspace]);
  const query = {
    ...Object.fromEntries(Object.entries(filter).filter(([, value]) => value.trim() !== '')),
    ...(sort ? { sortBy: sort.by, sortOrder: sort.order } : {}),
    ...(offset > 0 ? { offset } : {}),
  };
  const filtered = Object.values(filter).some((value) => value.trim() !== '');
  // A first click sorts ascending, the next one descending; back at the first page either way.
  const sortBy = (field: string) => {
    setSort(sort?.by === field && sort.order === 'asc' ? { by: field, order: 'desc' } : { by: field, order: 'asc' });
    setOffset(0);
  };
  const list = useLoad<ReturnType<typeof listOf>>(
    () => (page.list ? getUntyped(page.list, query).then(listOf) : Promise.resolve({ rows: [] as Row[] })),
    [page.list, session.workspace, tick, JSON.stringify(query)],
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
        <PluginForm
          title={create.label}
          submit="Create"
          method={create.method}
          path={create.path}
          schema={create.schema}
          onDone={(created) => {
            const name = createdName(created);
            setNotice(name ? `Created “${name}”.` : 'Created.');
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
        {page.filters?.length ? (
          <ListFilters
            label={page.title}
            filters={page.filters}
            values={filter}
            onChange={(values) => {
              setFilter(values);
              setOffset(0);
            }}
          />
        ) : null}
        <Table
          caption={page.title}
          rows={rows}
          empty={filtered ? 'Nothing matches these filters.' : create ? `Nothing here yet: “${create.label}” adds the first.` : 'Nothing here yet.'}
          columns={columns.map((c, i) => ({
            title: columnTitle(c),
            sort: page.sortable?.includes(c)
              ? { order: sort?.by !== c ? 'none' : sort.order === 'asc' ? 'ascending' : 'descending', onSort: () => sortBy(c) }
              : undefined,
            cell: (r: Row) => {
              const key = page.record ? r[page.record.param] : undefined;
              // The first column leads to the row's own page, when the plugin's contract has one.
              if (i === 0 && (typeof key === 'string' || typeof key === 'number'))
                return (
                  // A short value (a key like TCK-12) stays on one line, even on a phone.
                  <a
                    href={`/console/${page.path}/${encodeURIComponent(String(key))}`}
                    class={typeof r[c] === 'string' && (r[c] as string).length <= 12 ? 'nowrap' : undefined}
                  >
                    {r[c] === null || r[c] === undefined || r[c] === '' ? 'Open' : <Cell field={c} value={r[c]} />}
                  </a>
                );
              return <Cell field={c} value={r[c]} />;
            },
          }))}
        />
        <Pager page={list.data?.page} onOffset={setOffset} label={page.title} />
      </Section>
    </>
  );
}
