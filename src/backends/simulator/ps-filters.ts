/**
 * `GET /containers/json` selection exactly as dockerd 20.10's list does it: validation of filter keys
 * and values, the all / limit rules, and each filter's matching.
 * @module
 */
import { isRunning, type SimContainer, STATUSES } from './container.js';
import { badRequest } from './engine-errors.js';
import { exactMatch, type Filters, labelMatch, parseFilters, regexMatch } from './filters.js';
import { normalizeRef } from './images.js';

/** Filter keys dockerd's container list accepts. */
export const PS_FILTER_KEYS: ReadonlySet<string> = new Set([
  'ancestor',
  'before',
  'expose',
  'exited',
  'health',
  'id',
  'isolation',
  'is-task',
  'label',
  'name',
  'network',
  'publish',
  'since',
  'status',
  'volume',
]);

/** A validated list request. */
export interface ListQuery {
  all: boolean;
  limit: number;
  size: boolean;
  filters: Filters;
  exited: number[];
}

function flag(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Parses and validates the list query (`all`, `limit`, `size`, `filters`); 400 on bad input. */
export function parseListQuery(query: Record<string, string>): ListQuery {
  const filters = parseFilters(query.filters);
  for (const key of filters.keys()) {
    if (!PS_FILTER_KEYS.has(key)) throw badRequest(`Invalid filter '${key}'`);
  }
  let all = flag(query.all);
  for (const s of filters.get('status') ?? []) {
    if (!STATUSES.has(s)) throw badRequest(`Invalid filter 'status=${s}'`);
    all = true; // dockerd: filtering by status implies --all
  }
  const exited = (filters.get('exited') ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw badRequest(`strconv.Atoi: parsing "${v}": invalid syntax`);
    return Number(v);
  });
  const limitText = query.limit ?? '';
  const limit = limitText === '' ? -1 : Number(limitText);
  if (!Number.isInteger(limit)) throw badRequest(`strconv.Atoi: parsing "${limitText}": invalid syntax`);
  return { all, limit, size: flag(query.size), filters, exited };
}

/** Resolves a container named by a before/since filter (404 when unknown). */
export type Resolve = (ref: string) => SimContainer;

/** Selects rows newest first; `containers` must already be newest first. */
export function selectContainers(
  containers: readonly SimContainer[],
  q: ListQuery,
  resolve: Resolve,
): SimContainer[] {
  const f = q.filters;
  const before = f.get('before')?.map((r) => resolve(r).seq);
  const since = f.get('since')?.map((r) => resolve(r).seq);
  const beforeSeq = before ? Math.min(...before) : Number.POSITIVE_INFINITY;
  const sinceSeq = since ? Math.max(...since) : Number.NEGATIVE_INFINITY;
  const ids = f.has('id') ? idIndexMatches(containers, f.get('id') ?? []) : undefined;
  // Without filters every row matches: skip the per-row check (`ps -a` of 10,000 rows).
  const filtered = f.size > 0 || q.exited.length > 0;
  const out: SimContainer[] = [];
  for (const c of containers) {
    if (q.limit > 0 && out.length >= q.limit) break;
    if (!isRunning(c) && !q.all && q.limit <= 0) continue;
    if (c.seq >= beforeSeq || c.seq <= sinceSeq) continue;
    if (ids && !ids.has(c.id)) continue;
    if (filtered && !matches(c, q)) continue;
    out.push(c);
  }
  return out;
}

function matches(c: SimContainer, q: ListQuery): boolean {
  const f = q.filters;
  if (f.has('name') && !regexMatch(f, 'name', `/${c.name}`) && !regexMatch(f, 'name', c.name)) return false;
  if (!exactMatch(f, 'status', c.status)) return false;
  if (!labelMatch(f, 'label', c.config.Labels)) return false;
  if (q.exited.length > 0 && (isRunning(c) || c.startedAt === 0 || !q.exited.includes(c.exitCode))) {
    return false;
  }
  const ancestors = f.get('ancestor');
  if (ancestors && !ancestors.some((a) => isAncestor(c, a))) return false;
  if (!exactMatch(f, 'health', 'none')) return false;
  if (!exactMatch(f, 'network', networkName(c))) return false;
  // The simulator has no volumes, published ports on filters, or isolation: those filters select nothing.
  for (const key of ['expose', 'publish', 'volume', 'isolation']) if (f.has(key)) return false;
  return true;
}

/**
 * dockerd 20.10 resolves `id` values in its truncated-id index, not as regular expressions (a real daemon
 * answers `id=^<prefix>` and an inner substring with no rows): a value selects the one container whose id
 * it prefixes, and nothing when it is empty or prefixes several.
 */
function idIndexMatches(containers: readonly SimContainer[], values: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    if (v === '') continue;
    const hits = containers.filter((c) => c.id.startsWith(v));
    if (hits.length === 1) out.add((hits[0] as SimContainer).id);
  }
  return out;
}

function isAncestor(c: SimContainer, ref: string): boolean {
  if (c.config.Image === ref) return true;
  if (c.image.tags.includes(normalizeRef(ref))) return true;
  const hex = ref.replace(/^sha256:/, '');
  return /^[0-9a-f]+$/.test(hex) && c.image.id.slice(7).startsWith(hex);
}

/** The container's network name as lists show it (`default` means `bridge`). */
export function networkName(c: SimContainer): string {
  const mode = c.hostConfig.NetworkMode;
  return typeof mode === 'string' && mode !== '' && mode !== 'default' ? mode : 'bridge';
}
