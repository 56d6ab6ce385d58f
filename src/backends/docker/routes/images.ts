/**
 * Images, builds and the registry-facing calls. Image names keep their slashes and colons
 * (`{ref*}`, dockerd's `{name:.*}`); registry credentials travel in `X-Registry-Auth` (pull, push)
 * and `X-Registry-Config` (build), which the rows carry through.
 * @module
 */
import { rowsOf } from './types.js';

const AUTH = ['x-registry-auth'] as const;

/** Image routes, most specific first. */
export const IMAGE_ROUTES = rowsOf({ object: 'image', fanout: 'holder' }, [
  ['image.list', 'ImageList', 'GET', '/images/json', 'ls', { fanout: 'merge' }],
  [
    'image.create',
    'ImageCreate',
    'POST',
    '/images/create',
    'spawn',
    { answer: 'stream', body: 'upload-if-fromSrc', fanout: 'merge', headers: [...AUTH, 'content-type'] },
  ],
  ['image.search', 'ImageSearch', 'GET', '/images/search', 'ls', { fanout: 'any', headers: AUTH }],
  ['image.prune', 'ImagePrune', 'POST', '/images/prune', 'prune', { fanout: 'merge' }],
  ['image.get.all', 'ImageGetAll', 'GET', '/images/get', 'file', { answer: 'stream', fanout: 'any' }],
  [
    'image.load',
    'ImageLoad',
    'POST',
    '/images/load',
    'file',
    { answer: 'stream', body: 'upload', fanout: 'any', headers: ['content-type'] },
  ],
  ['image.inspect', 'ImageInspect', 'GET', '/images/{ref*}/json', 'get'],
  ['image.history', 'ImageHistory', 'GET', '/images/{ref*}/history', 'get'],
  ['image.get', 'ImageGet', 'GET', '/images/{ref*}/get', 'file', { answer: 'stream' }],
  ['image.push', 'ImagePush', 'POST', '/images/{ref*}/push', 'file', { answer: 'stream', headers: AUTH }],
  ['image.tag', 'ImageTag', 'POST', '/images/{ref*}/tag', 'set'],
  ['image.remove', 'ImageDelete', 'DELETE', '/images/{ref*}', 'remove'],
  [
    'image.commit',
    'ImageCommit',
    'POST',
    '/commit',
    'spawn',
    { fanout: 'container', containerQuery: 'container' },
  ],
]);

/** Builds (the legacy builder's tar context, BuildKit's cache) and registry lookups. */
export const BUILD_ROUTES = rowsOf({ object: 'build', fanout: 'any' }, [
  [
    'image.build',
    'ImageBuild',
    'POST',
    '/build',
    'spawn',
    { answer: 'stream', body: 'upload', headers: ['content-type', 'x-registry-config'] },
  ],
  ['image.build.prune', 'BuildPrune', 'POST', '/build/prune', 'prune', { fanout: 'merge' }],
]);

/** Registry metadata of an image without pulling it. */
export const DISTRIBUTION_ROUTES = rowsOf({ object: 'distribution', fanout: 'any' }, [
  [
    'distribution.inspect',
    'DistributionInspect',
    'GET',
    '/distribution/{ref*}/json',
    'get',
    { headers: AUTH },
  ],
]);
