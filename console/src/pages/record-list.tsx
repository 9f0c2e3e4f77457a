import { useState } from 'preact/hooks';
import { getUntyped } from '../api.ts';
import { Pager } from '../components/pager.tsx';
import { ErrorNote, Section, Table } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { Cell } from './cell-view.tsx';
import { columnTitle } from './plugin-cells.ts';
import { listOf, type Row } from './plugin-list.ts';

/** A list that belongs to one record (a ticket's timeline), under its fields; reloaded with the record. */
export function RecordList(props: { title: string; path: string; columns?: string[]; reloadKey: unknown }) {
  const [offset, setOffset] = useState(0);
  const list = useLoad<ReturnType<typeof listOf>>(
    () => getUntyped(props.path, offset > 0 ? { offset } : {}).then(listOf),
    [props.path, props.reloadKey, offset],
  );
  const rows = list.data?.rows;
  const columns = props.columns ?? Object.keys(rows?.[0] ?? {}).slice(0, 6);
  return (
    <Section title={props.title}>
      <ErrorNote error={list.error} />
      <Table
        caption={props.title}
        rows={rows}
        empty="Nothing yet."
        columns={columns.map((c) => ({ title: columnTitle(c), cell: (r: Row) => <Cell field={c} value={r[c]} /> }))}
      />
      <Pager page={list.data?.page} onOffset={setOffset} label={props.title} />
    </Section>
  );
}
