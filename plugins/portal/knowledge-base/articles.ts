import { randomUUID } from 'node:crypto';
import { AppError, type DatabaseService, listEnvelope, type OperationRequest, parseListQuery, type SqlQuery, type Tx } from '../../../core/plugin-api/index.ts';
import { inClientScope } from '../access/client-scope.ts';

interface ArticleRow {
  id: string;
  title: string;
  body: string;
  visibility: 'internal' | 'client' | 'public';
  client_id: string | null;
  tags: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
  rank?: number;
  snippet?: string;
}

interface ArticleFields {
  title: string;
  body: string;
  visibility: ArticleRow['visibility'];
  clientId: string | null;
  tags: string[];
}

const columns = 'id, title, body, visibility, client_id, tags, version, created_at, updated_at';
const defaults = { body: '', clientId: null, tags: [] };

const articleView = (row: ArticleRow) => ({
  id: row.id,
  title: row.title,
  body: row.body,
  visibility: row.visibility,
  clientId: row.client_id,
  tags: row.tags,
  version: row.version,
  ...(row.rank !== undefined ? { rank: Number(row.rank), snippet: row.snippet ?? '' } : {}),
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

// Titles and bodies are stemmed alike ('english'), so "printed" finds "printing" and -exclusions hold.
const tsQuery = "websearch_to_tsquery('english', ?)";

/**
 * One page of articles: ranked full-text matches (ts_rank_cd, title weighted A over body B) with a
 * highlighted snippet when `q` is given, else the most recently changed first. Row-level security
 * decides which articles exist for the caller (a portal session never sees internal ones).
 */
async function searchPage(query: SqlQuery, request: Record<string, unknown>, filters: Record<string, string>) {
  const list = parseListQuery({ ...request, sortBy: 'updatedAt', sortOrder: 'desc' }, { sortable: { updatedAt: 'updated_at' }, defaultSort: 'updatedAt' });
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [key, column] of Object.entries(filters)) {
    if (request[key] === undefined) continue;
    where.push(`${column} = ?`);
    params.push(request[key]);
  }
  const echoed = Object.fromEntries(
    Object.keys(filters)
      .filter((key) => request[key] !== undefined)
      .map((key) => [key, request[key]]),
  );
  if (!list.q) {
    const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await query<ArticleRow & { total: number }>(
      `SELECT ${columns}, count(*) OVER ()::int AS total FROM portal_article ${condition} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`,
      [...params, list.limit, list.offset],
    );
    const total = rows[0]?.total ?? (await query<{ n: number }>(`SELECT count(*)::int AS n FROM portal_article ${condition}`, params))[0].n;
    return listEnvelope(
      rows.map(({ total: _, ...row }) => articleView(row)),
      total,
      list,
      echoed,
    );
  }
  const condition = ['search @@ q.query', ...where].join(' AND ');
  const rows = await query<ArticleRow & { total: number }>(
    `SELECT ${columns}, ts_rank_cd(search, q.query) AS rank,
            ts_headline('english', body, q.query, 'StartSel=«, StopSel=», MaxWords=35, MinWords=12, MaxFragments=1') AS snippet,
            count(*) OVER ()::int AS total
       FROM portal_article, (SELECT ${tsQuery} AS query) q
      WHERE ${condition}
      ORDER BY rank DESC, updated_at DESC, id LIMIT ? OFFSET ?`,
    [list.q, ...params, list.limit, list.offset],
  );
  const total =
    rows[0]?.total ??
    (await query<{ n: number }>(`SELECT count(*)::int AS n FROM portal_article, (SELECT ${tsQuery} AS query) q WHERE ${condition}`, [list.q, ...params]))[0].n;
  const envelope = listEnvelope(
    rows.map(({ total: _, ...row }) => articleView(row)),
    total,
    list,
    { ...echoed, q: list.q },
  );
  return { ...envelope, sort: { by: 'rank', order: 'desc' as const } };
}

type Services = { database: DatabaseService };
type Request = OperationRequest<any, any, any> & { tenantId: string };

const notFound = (id: string) => new AppError('not_found', `Article ${id} was not found`);

async function checkClient(tx: Tx, clientId: string | null) {
  if (clientId === null) return;
  const [client] = await tx.query('SELECT 1 FROM portal_client WHERE id = ?', [clientId]);
  if (!client) throw new AppError('not_found', `Client ${clientId} was not found`);
}

export const listArticles = ({ database }: Services, req: Request) =>
  searchPage(database.forTenant(req.tenantId).query, req.query, { visibility: 'visibility', clientId: 'client_id' });

export const listPortalKnowledgeBase = ({ database }: Services, req: OperationRequest) =>
  inClientScope(database, req, (tx) => searchPage(tx.query, req.query, {}));

/** Row-level security answers: an article the session may not read is not there (404), like an unknown id. */
export const getPortalArticle = ({ database }: Services, req: OperationRequest<unknown, { id: string }>) =>
  inClientScope(database, req, async (tx) => {
    const [row] = await tx.query<ArticleRow>(`SELECT ${columns} FROM portal_article WHERE id = ?`, [req.params.id]);
    if (!row) throw notFound(req.params.id);
    return articleView(row);
  });

export async function getArticle({ database }: Services, req: Request) {
  const [row] = await database.forTenant(req.tenantId).query<ArticleRow>(`SELECT ${columns} FROM portal_article WHERE id = ?`, [req.params.id]);
  if (!row) throw notFound(req.params.id);
  return articleView(row);
}

export async function createArticle({ database }: Services, req: Request) {
  const fields: ArticleFields = { ...defaults, ...req.body };
  const row = await database.forTenant(req.tenantId).transaction(async (tx) => {
    await checkClient(tx, fields.clientId);
    const [created] = await tx.query<ArticleRow>(
      `INSERT INTO portal_article (id, tenant_id, title, body, visibility, client_id, tags) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${columns}`,
      [randomUUID(), req.tenantId, fields.title, fields.body, fields.visibility, fields.clientId, fields.tags],
    );
    return created;
  });
  return { status: 201, body: articleView(row) };
}

async function write(tx: Tx, id: string, version: number, merge: (current: ArticleFields) => ArticleFields) {
  const [current] = await tx.query<ArticleRow>(`SELECT ${columns} FROM portal_article WHERE id = ? FOR UPDATE`, [id]);
  if (!current) throw notFound(id);
  if (current.version !== version)
    throw new AppError('conflict', `The article changed since version ${version}`, { details: { currentVersion: current.version } });
  const fields = merge({ title: current.title, body: current.body, visibility: current.visibility, clientId: current.client_id, tags: current.tags });
  await checkClient(tx, fields.clientId);
  const [row] = await tx.query<ArticleRow>(
    `UPDATE portal_article SET title = ?, body = ?, visibility = ?, client_id = ?, tags = ?, version = version + 1, updated_at = now() WHERE id = ? RETURNING ${columns}`,
    [fields.title, fields.body, fields.visibility, fields.clientId, fields.tags, id],
  );
  return articleView(row);
}

export function replaceArticle({ database }: Services, req: Request) {
  const { version, ...body } = req.body;
  return database.forTenant(req.tenantId).transaction((tx) => write(tx, req.params.id, version, () => ({ ...defaults, ...body })));
}

export function updateArticle({ database }: Services, req: Request) {
  const { version, ...body } = req.body;
  return database.forTenant(req.tenantId).transaction((tx) => write(tx, req.params.id, version, (current) => ({ ...current, ...body })));
}

export async function deleteArticle({ database }: Services, req: Request) {
  const deleted = await database.forTenant(req.tenantId).query('DELETE FROM portal_article WHERE id = ? RETURNING id', [req.params.id]);
  if (deleted.length === 0) throw notFound(req.params.id);
  return { status: 204 };
}
