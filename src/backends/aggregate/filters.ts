/**
 * Docker list filters (`?filters={"status":{"exited":true}}`) and container-list query handling,
 * evaluated by the aggregate itself: some filters (`before`, `since`, `node`) and `limit` only make
 * sense cluster-wide, and re-applying the rest keeps a lenient child from leaking rows.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import { dockerMatch } from '../patterns.js';
import { normalizeImageRef } from './images.js';
import { matchPattern } from './rules.js';

/** Filters as on the wire: key → accepted values (values of one key are OR-ed, keys are AND-ed). */
export type Filters = Record<string, string[]>;

/** One `/containers/json` row; only the fields the aggregate reads are typed. */
export interface ContainerRow {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  Created?: number;
  State?: string;
  Status?: string;
  Labels?: Record<string, string> | null;
  Mounts?: { Name?: string; Destination?: string }[] | null;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  [field: string]: unknown;
}

/** A parsed `/containers/json` query. */
export interface ListQuery {
  all: boolean;
  /** 0 = no limit. A limit implies `all`, as in dockerd. */
  limit: number;
  filters: Filters;
  /** Everything else (e.g. `size`), forwarded untouched. */
  rest: Record<string, string>;
}

/** Filters the aggregate evaluates itself and never forwards (children cannot know other nodes). */
const CLUSTER_FILTERS = ['before', 'since', 'node'];

/**
 * Parses the `filters` query value. Accepts the modern `{"k":{"v":true}}` and the legacy `{"k":["v"]}`
 * forms. Throws `SWARM_ERR_INVALID_ARGUMENT` on malformed JSON.
 */
export function parseFilters(text: string | undefined): Filters {
  if (!text) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SwarmError(ErrorCode.InvalidArgument, `invalid filters: ${text}`);
  }
  const out: Filters = {};
  for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object')
      out[k] = Object.keys(v).filter((x) => (v as Record<string, unknown>)[x]);
  }
  return out;
}

/** Serialises filters in the modern wire form. */
export function formatFilters(filters: Filters): string {
  const o: Record<string, Record<string, boolean>> = {};
  for (const [k, vs] of Object.entries(filters)) o[k] = Object.fromEntries(vs.map((v) => [v, true]));
  return JSON.stringify(o);
}

/** Parses a `/containers/json` query. */
export function parseListQuery(query: Record<string, string>): ListQuery {
  const { all, limit, filters, ...rest } = query;
  const n = Number(limit ?? 0);
  return {
    all: all === '1' || all === 'true' || n > 0,
    limit: Number.isFinite(n) && n > 0 ? Math.floor(n) : 0,
    filters: parseFilters(filters),
    rest,
  };
}

/**
 * The query each child gets: no `limit` (it applies to the merged list), no cluster-wide filters, and
 * `all=1` when `before`/`since` need to see stopped reference containers.
 */
export function childListQuery(q: ListQuery): Record<string, string> {
  const forwarded: Filters = {};
  for (const [k, v] of Object.entries(q.filters)) if (!CLUSTER_FILTERS.includes(k)) forwarded[k] = v;
  const needAll = q.all || 'before' in q.filters || 'since' in q.filters;
  const out: Record<string, string> = { ...q.rest };
  if (needAll) out.all = '1';
  if (Object.keys(forwarded).length > 0) out.filters = formatFilters(forwarded);
  return out;
}

/** States `docker ps` without `-a` shows. */
const LIVE = new Set(['running', 'paused', 'restarting']);

/**
 * The node-independent filter predicate, built once per listing (not per row); `undefined` when every
 * row passes (`-a` and no filters), so the merge can skip the per-row check altogether.
 */
export function rowFilter(
  q: ListQuery,
  refs: Map<string, number>,
): ((row: ContainerRow, node: string) => boolean) | undefined {
  const active = Object.entries(q.filters).filter(([, values]) => values.length > 0);
  if (q.all && active.length === 0) return undefined;
  return (row, node) => {
    if (!q.all && !LIVE.has(row.State ?? 'running')) return false;
    for (const [key, values] of active) {
      if (!values.some((v) => filterHolds(key, v, row, node, refs))) return false;
    }
    return true;
  };
}

function filterHolds(
  key: string,
  v: string,
  row: ContainerRow,
  node: string,
  refs: Map<string, number>,
): boolean {
  const names = row.Names ?? [];
  const created = row.Created ?? 0;
  switch (key) {
    case 'id':
      return row.Id.startsWith(v);
    case 'name':
      // dockerd 20.10 tries each name with and without its leading `/` (`^web$` selects `/web`).
      return names.some((n) => dockerMatch([v], n) || dockerMatch([v], n.replace(/^\//, '')));
    case 'label': {
      const eq = v.indexOf('=');
      const labels = row.Labels ?? {};
      return eq < 0 ? v in labels : labels[v.slice(0, eq)] === v.slice(eq + 1);
    }
    case 'status':
      return row.State === v;
    case 'exited':
      return row.State === 'exited' && exitCode(row.Status) === Number(v);
    case 'ancestor':
      return (
        (row.Image !== undefined && normalizeImageRef(row.Image) === normalizeImageRef(v)) ||
        (row.ImageID ?? '').replace('sha256:', '').startsWith(v.replace('sha256:', ''))
      );
    case 'health': {
      const s = row.Status ?? '';
      if (v === 'none') return !s.includes('(health') && !s.includes('healthy)');
      if (v === 'starting') return s.includes('(health: starting)');
      return s.includes(`(${v})`);
    }
    case 'node':
      return matchPattern(v, node);
    case 'network':
      return Object.keys(row.NetworkSettings?.Networks ?? {}).includes(v);
    case 'volume':
      return (row.Mounts ?? []).some((m) => m.Name === v || m.Destination === v);
    case 'before':
    case 'since': {
      const ref = refs.get(v);
      if (ref === undefined) throw new SwarmError(ErrorCode.NotFound, `No such container: ${v}`);
      return key === 'before' ? created < ref : created > ref;
    }
    default:
      // Filters the aggregate does not model (publish, expose, is-task…) were applied by the child.
      return true;
  }
}

function exitCode(status: string | undefined): number | undefined {
  const m = /^Exited \((-?\d+)\)/.exec(status ?? '');
  return m ? Number(m[1]) : undefined;
}
