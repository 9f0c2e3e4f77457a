import type { SqlQuery } from '../../../core/plugin-api/index.ts';

/**
 * Ranking past resolutions against an incident. Each signal is in [0, 1] and weighted:
 * - service (0.35): trigram similarity of the service names when pg_trgm is there (so
 *   `payment-api` matches `payments-api`), else equality;
 * - metric (0.15): the same metric name;
 * - tags (0.2): Jaccard overlap of the tags;
 * - text (0.3): full-text rank of the resolution and its tags against the incident's words
 *   (any word may match: an incident is described differently from its fix).
 * A match needs some text, tag or service resemblance; metric alone is not enough.
 */
export interface SimilarTo {
  serviceId?: string;
  metricName?: string;
  tags?: string[];
  text?: string;
}

export interface SuggestedResolution {
  knowledge_base_id: string;
  incident_id: string;
  service_id: string;
  resolution: string;
  resolved_by: string | null;
  time_to_recovery_minutes: number | null;
  tags: string[];
  similarity: number;
}

/** Words of a free text as an OR query (plainto_tsquery ANDs them, which finds too little). */
export function orQueryWords(text: string): string {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? [])
    .filter((w) => w.length > 1)
    .slice(0, 64)
    .join(' ');
}

export async function findSimilar(query: SqlQuery, trigrams: boolean, to: SimilarTo, limit: number): Promise<SuggestedResolution[]> {
  const service = to.serviceId ?? '';
  const serviceSim = trigrams ? 'similarity(r.service_id, ?)' : '(r.service_id = ?)::int';
  const words = orQueryWords([to.text ?? '', to.serviceId ?? '', to.metricName ?? '', ...(to.tags ?? [])].join(' '));
  const rows = await query<SuggestedResolution & { similarity: string }>(
    `WITH q AS (SELECT CASE WHEN ? = '' THEN NULL ELSE to_tsquery('english', array_to_string(
               ARRAY(SELECT quote_literal(lexeme) FROM unnest(to_tsvector('english', ?)) AS t(lexeme, positions, weights)), ' | ')) END AS tsq)
     SELECT r.knowledge_base_id, r.incident_id, r.service_id, r.resolution, r.resolved_by, r.time_to_recovery_minutes, r.tags, s.similarity
       FROM aiops_resolution r, q,
       LATERAL (SELECT ${serviceSim} AS service_score,
                       (r.metric_name IS NOT NULL AND r.metric_name = ?)::int AS metric_score,
                       CASE WHEN cardinality(r.tags) + cardinality(?::text[]) = 0 THEN 0
                            ELSE (SELECT count(*) FROM unnest(r.tags) t WHERE t = ANY(?::text[]))::float8
                                 / (SELECT count(DISTINCT x) FROM unnest(r.tags || ?::text[]) x) END AS tag_score,
                       CASE WHEN q.tsq IS NULL THEN 0 ELSE least(1, ts_rank(r.search, q.tsq) * 5) END AS text_score) AS f,
       LATERAL (SELECT round((0.35 * f.service_score + 0.15 * f.metric_score + 0.2 * f.tag_score + 0.3 * f.text_score)::numeric, 4) AS similarity) AS s
      WHERE f.service_score > 0.3 OR f.tag_score > 0 OR f.text_score > 0
      ORDER BY s.similarity DESC, r.created_at DESC
      LIMIT ?`,
    [words, words, service, to.metricName ?? '', to.tags ?? [], to.tags ?? [], to.tags ?? [], limit],
  );
  return rows.map((r) => ({ ...r, similarity: Number(r.similarity) }));
}
