import { randomUUID } from 'node:crypto';
import { AppError, type DatabaseService, defineList, type OperationRequest, type Tx } from '../../../core/plugin-api/index.ts';
import { inClientScope } from '../access/client-scope.ts';

interface ClientRow {
  id: string;
  name: string;
  email: string | null;
  external_ref: string | null;
  status: 'active' | 'inactive';
  tags: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface ClientFields {
  name: string;
  email: string | null;
  externalRef: string | null;
  status: 'active' | 'inactive';
  tags: string[];
}

const columns = 'id, name, email, external_ref, status, tags, version, created_at, updated_at';
const defaults: Omit<ClientFields, 'name'> = { email: null, externalRef: null, status: 'active', tags: [] };

export const clientView = (row: ClientRow) => ({
  id: row.id,
  name: row.name,
  email: row.email,
  externalRef: row.external_ref,
  status: row.status,
  tags: row.tags,
  version: row.version,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

const clientList = defineList({
  from: 'portal_client',
  select: columns,
  sortable: { name: 'lower(name)', createdAt: 'created_at', updatedAt: 'updated_at' },
  defaultSort: 'name',
  equals: { status: 'status' },
  search: ['name', 'email', 'external_ref'],
  view: clientView,
});

const portalClientList = defineList({
  from: 'portal_client',
  select: 'id, name, status',
  sortable: { name: 'lower(name)' },
  defaultSort: 'name',
  view: (row: Pick<ClientRow, 'id' | 'name' | 'status'>) => ({ id: row.id, name: row.name, status: row.status }),
});

type Services = { database: DatabaseService };
type Request = OperationRequest<any, any, any> & { tenantId: string };

const notFound = (id: string) => new AppError('not_found', `Client ${id} was not found`);
// A second client of the same name is a mistake an MSP makes when two people onboard one customer.
const duplicateName = (error: unknown) => {
  if ((error as { code?: string }).code === '23505') throw new AppError('conflict', 'A client with this name already exists');
  throw error;
};

export const listClients = ({ database }: Services, req: Request) => clientList.page(database.forTenant(req.tenantId), req.query);

export async function getClient({ database }: Services, req: Request) {
  const [row] = await database.forTenant(req.tenantId).query<ClientRow>(`SELECT ${columns} FROM portal_client WHERE id = ?`, [req.params.id]);
  if (!row) throw notFound(req.params.id);
  return clientView(row);
}

export async function createClient({ database }: Services, req: Request) {
  const fields: ClientFields = { ...defaults, ...req.body };
  const [row] = await database
    .forTenant(req.tenantId)
    .query<ClientRow>(`INSERT INTO portal_client (id, tenant_id, name, email, external_ref, status, tags) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${columns}`, [
      randomUUID(),
      req.tenantId,
      fields.name,
      fields.email,
      fields.externalRef,
      fields.status,
      fields.tags,
    ])
    .catch(duplicateName);
  return { status: 201, body: clientView(row) };
}

async function write(tx: Tx, id: string, version: number, merge: (current: ClientFields) => ClientFields) {
  const [current] = await tx.query<ClientRow>(`SELECT ${columns} FROM portal_client WHERE id = ? FOR UPDATE`, [id]);
  if (!current) throw notFound(id);
  if (current.version !== version)
    throw new AppError('conflict', `The client changed since version ${version}`, { details: { currentVersion: current.version } });
  const fields = merge({ name: current.name, email: current.email, externalRef: current.external_ref, status: current.status, tags: current.tags });
  const [row] = await tx
    .query<ClientRow>(
      `UPDATE portal_client SET name = ?, email = ?, external_ref = ?, status = ?, tags = ?, version = version + 1, updated_at = now() WHERE id = ? RETURNING ${columns}`,
      [fields.name, fields.email, fields.externalRef, fields.status, fields.tags, id],
    )
    .catch(duplicateName);
  return clientView(row);
}

export const replaceClient = ({ database }: Services, req: Request) => {
  const { version, ...body } = req.body as ClientFields & { version: number };
  return database.forTenant(req.tenantId).transaction((tx) => write(tx, req.params.id, version, () => ({ ...defaults, ...body })));
};

export const updateClient = ({ database }: Services, req: Request) => {
  const { version, ...body } = req.body as Partial<ClientFields> & { version: number };
  return database.forTenant(req.tenantId).transaction((tx) => write(tx, req.params.id, version, (current) => ({ ...current, ...body })));
};

export async function deleteClient({ database }: Services, req: Request) {
  const deleted = await database.forTenant(req.tenantId).query('DELETE FROM portal_client WHERE id = ? RETURNING id', [req.params.id]);
  if (deleted.length === 0) throw notFound(req.params.id);
  return { status: 204 };
}

/** The portal's view: row-level security leaves only the session's own client. */
export const listPortalClients = ({ database }: Services, req: Request) => inClientScope(database, req, (tx) => portalClientList.page(tx, {}));
