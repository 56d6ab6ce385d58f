/**
 * Which images `GET /images/json` lists and with which tags: dockerd's `reference`, `dangling` and
 * `label` filters, and untagged parents hidden without `all`.
 * @module
 */
import { compilePathGlob, InvalidPatternError } from '../patterns.js';
import type { Engine } from './engine.js';
import { badRequest } from './engine-errors.js';
import { type Filters, labelMatch } from './filters.js';
import type { SimImage } from './images.js';

/**
 * Go's path.Match for a reference pattern (`*` and `?` stop at `/`), on the linear-time engine like
 * every user pattern; a pattern too long to compile matches nothing.
 */
function globMatch(pattern: string, text: string): boolean {
  try {
    return compilePathGlob(pattern).test(text);
  } catch (err) {
    if (err instanceof InvalidPatternError) return false;
    throw err;
  }
}

/**
 * `GET /images/json` filters: `reference` (a glob on `name:tag` or on the name alone), `dangling`,
 * `label`; without `all`, untagged parents of other images stay hidden, as in dockerd. Returns the
 * tags the row shows (with `reference`, only the matching ones), or undefined when it is not listed.
 */
export function imageListed(engine: Engine, f: Filters, image: SimImage, all: boolean): string[] | undefined {
  for (const key of f.keys()) {
    if (!['reference', 'dangling', 'label', 'before', 'since'].includes(key)) {
      throw badRequest(`Invalid filter '${key}'`);
    }
  }
  if (!all && image.tags.length === 0 && engine.images.all.some((c) => c.parent === image.id))
    return undefined;
  const dangling = f.get('dangling');
  if (dangling && dangling.length > 0) {
    const want = dangling[0] === 'true' || dangling[0] === '1';
    if (want !== (image.tags.length === 0)) return undefined;
  }
  if (!labelMatch(f, 'label', (image.config.Labels as Record<string, string> | undefined) ?? {}))
    return undefined;
  const refs = f.get('reference');
  if (refs && refs.length > 0) {
    const hits = image.tags.filter((t) =>
      refs.some((p) => globMatch(p, t) || globMatch(p, t.slice(0, t.lastIndexOf(':')))),
    );
    return hits.length > 0 ? hits : undefined;
  }
  return image.tags;
}
