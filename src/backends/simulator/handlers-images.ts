/**
 * Image tag/remove/history/prune/commit/save/load ops → engine → replies (images-ops.ts and
 * images-archive.ts hold the rules).
 * @module
 */
import { replyStream } from '../docker/api.js';
import { badRequest } from './engine-errors.js';
import { parseFilters } from './filters.js';
import { type HandlerTable, id, JSON_HEADERS, ok, queryAll } from './handler-kit.js';
import { imageLoad, imageSave } from './images-archive.js';
import { commit, imageHistory, imagePrune, imageRemove, imageTag } from './images-ops.js';
import { flag } from './streams.js';

const TAR_HEADERS = { 'Content-Type': 'application/x-tar' };

/** The image handlers beyond list, inspect and pull. */
export const IMAGE_HANDLERS: HandlerTable = {
  'image.tag': (e, m, a) => {
    imageTag(e, id(a), a.query);
    ok(m, undefined, 201);
  },
  'image.remove': (e, m, a) => ok(m, imageRemove(e, id(a), flag(a.query.force), !flag(a.query.noprune))),
  'image.history': (e, m, a) => ok(m, imageHistory(e, id(a))),
  'image.prune': (e, m, a) => ok(m, imagePrune(e, parseFilters(a.query.filters))),
  'image.commit': (e, m, a) => ok(m, commit(e, a.query, a.repeated, a.body), 201),
  'image.get': (e, m, a) =>
    replyStream(m, { status: 200, mode: 'chunked', headers: TAR_HEADERS }, imageSave(e, [id(a)])),
  'image.get.all': (e, m, a) => {
    const names = queryAll(a, 'names');
    if (names.length === 0) throw badRequest('no images specified');
    replyStream(m, { status: 200, mode: 'chunked', headers: TAR_HEADERS }, imageSave(e, names));
  },
  'image.load': async (e, m) => {
    const stream = m.stream;
    // The upload is this handler's to read: take it off the message so a refusal does not destroy it twice.
    m.stream = undefined;
    const out = await imageLoad(e, stream);
    replyStream(m, { status: 200, mode: 'chunked', headers: JSON_HEADERS }, out);
  },
};
