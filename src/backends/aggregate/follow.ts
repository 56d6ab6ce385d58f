/**
 * Keeping each node's picture current, as classic Swarm's event monitor did: while a node is healthy
 * the aggregate holds its `events` stream open and patches its directories from it (containers created,
 * destroyed, renamed; networks and volumes created and destroyed; images listed again on an image
 * event), so what users change on a daemon directly is known within moments, not at the next listing.
 * Each time a node (re)connects it is subscribed first and then listed again in full (containers,
 * networks, volumes, images), so nothing changed while it was away, or between the two, is missed. A
 * down node keeps its last picture (names stay reserved, rows show as `Host Down`) until it is back and
 * reconciled.
 * @module
 */
import type { Readable } from 'node:stream';
import type { Clock } from '../../clock.js';
import type { Cluster } from './cluster.js';
import { type DockerEvent, JsonLineSplitter } from './events.js';
import type { ContainerRow } from './filters.js';
import { ImageRelister, relistImages } from './image-list.js';
import type { AggregateNode } from './node.js';
import { relistObjects } from './object-calls.js';

/** Image events that change what `docker images` shows on the node (not save, push, inspect). */
const IMAGE_CHANGES: ReadonlySet<string> = new Set(['pull', 'tag', 'untag', 'delete', 'import', 'load']);

/** Wait before re-subscribing a healthy node whose stream ended, ms. */
const RETRY_MS = 1000;

/** One aggregate's event followers, one per node. */
export class Followers {
  readonly #cluster: Cluster;
  readonly #clock: Clock;
  readonly #streams = new Map<string, Readable | 'opening'>();
  readonly #images: ImageRelister;
  #stopped = false;

  constructor(cluster: Cluster, clock: Clock) {
    this.#cluster = cluster;
    this.#clock = clock;
    this.#images = new ImageRelister(cluster);
  }

  /** A node turned healthy: follow its events (if not already) and list it again. */
  nodeUp(node: AggregateNode): void {
    if (this.#stopped) return;
    void this.#follow(node);
  }

  /** Stops every follower. */
  stop(): void {
    this.#stopped = true;
    for (const s of this.#streams.values()) if (s !== 'opening') s.destroy();
    this.#streams.clear();
  }

  async #follow(node: AggregateNode): Promise<void> {
    const open = this.#streams.get(node.name);
    if (!open) {
      this.#streams.set(node.name, 'opening');
      const m = await node.ask('watch', { op: 'events', query: {} }).catch(() => undefined);
      const stream = m?.stream as Readable | undefined;
      if (!stream || this.#stopped || this.#cluster.get(node.name) !== node) {
        stream?.destroy();
        this.#streams.delete(node.name);
        return;
      }
      this.#streams.set(node.name, stream);
      const split = new JsonLineSplitter();
      stream.on('data', (chunk: Buffer) => {
        for (const e of split.push(chunk)) this.#apply(node, e);
      });
      stream.on('error', () => {});
      let over = false;
      const ended = () => {
        if (over) return;
        over = true;
        if (this.#streams.get(node.name) === stream) this.#streams.delete(node.name);
        // Still healthy (the daemon restarted between probes, or the stream was cut): follow again soon.
        this.#clock.setTimeout(() => {
          if (!this.#stopped && node.health === 'healthy' && this.#cluster.get(node.name) === node)
            this.nodeUp(node);
        }, RETRY_MS);
      };
      stream.on('end', ended);
      stream.on('close', ended);
    }
    // Subscribed first, listed second: a change between the two is in the stream.
    await Promise.all([
      this.#cluster.refresh([node]),
      relistObjects(this.#cluster, 'network', [node]),
      relistObjects(this.#cluster, 'volume', [node]),
      relistImages(this.#cluster, [node]),
    ]);
  }

  #apply(node: AggregateNode, e: DockerEvent): void {
    const attrs = e.Actor?.Attributes ?? {};
    const id = e.Actor?.ID ?? '';
    const action = e.Action ?? e.status ?? '';
    const c = this.#cluster;
    if (e.Type === 'container' || (!e.Type && e.id)) {
      if (action === 'create' && id) {
        c.directory.add(node.name, id, attrs.name ? [attrs.name] : []);
        if (!node.rows.some((r) => r.Id === id)) node.rows = [...node.rows, eventRow(e, id, attrs)];
      } else if (action === 'destroy' && id) {
        c.directory.remove(id);
        node.rows = node.rows.filter((r) => r.Id !== id);
      } else if (action === 'rename' && id && attrs.name) {
        c.directory.rename(id, attrs.name);
        node.rows = node.rows.map((r) => (r.Id === id ? { ...r, Names: [`/${attrs.name}`] } : r));
      }
    } else if (e.Type === 'network') {
      if (action === 'create' && attrs.name) c.objects.add('network', node.name, { name: attrs.name, id });
      else if (action === 'destroy') c.objects.remove('network', node.name, id || (attrs.name ?? ''));
    } else if (e.Type === 'volume') {
      if (action === 'create' && id) c.objects.add('volume', node.name, { name: id });
      else if (action === 'destroy' && id) c.objects.remove('volume', node.name, id);
    } else if (e.Type === 'image' && IMAGE_CHANGES.has(action)) {
      // An image row (tags, digests, size) cannot be made from an event: the node is listed again.
      this.#images.changed(node);
    }
  }
}

/**
 * A container row made from its create event (name, image, labels), until the next full listing: the
 * rows are patched from events rather than listed again, because a listing per event was a call per
 * event to a node that may hang, and each missed deadline counts against its health.
 */
function eventRow(e: DockerEvent, id: string, attrs: Record<string, string>): ContainerRow {
  const { name, image, ...labels } = attrs;
  return {
    Id: id,
    Names: name ? [`/${name}`] : [],
    Image: image ?? (typeof e.from === 'string' ? e.from : undefined),
    Labels: labels,
    Created: e.time,
    State: 'created',
  };
}
