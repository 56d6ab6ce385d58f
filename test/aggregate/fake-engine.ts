/**
 * A hand-written fake Docker child for aggregate stage tests, used until the simulator stage lands:
 * just enough engine (list, create with name conflicts, inspect, start, rm, exec, image inspect, info,
 * version) plus a `hung` switch that makes it swallow requests, like a SIGSTOPped daemon.
 */
import type { Message } from '../../src/actors/message.js';
import type { DockerArgs, DockerResult } from '../../src/backends/docker/api.js';
import { kSender, type Sender } from '../../src/libchan/types.js';

interface FakeContainer {
  Id: string;
  Names: string[];
  Image: string;
  Created: number;
  State: string;
  Status: string;
  Labels: Record<string, string>;
}

let seq = 0;

/** One fake engine. */
export class FakeEngine {
  hung = false;
  readonly containers: FakeContainer[] = [];
  readonly images = new Set<string>(['busybox:local']);
  readonly calls: DockerArgs[] = [];
  readonly #execs = new Set<string>();

  constructor(readonly name: string) {}

  /** Adds `n` running containers named `<node>-c<i>`. */
  seed(n: number): this {
    for (let i = 0; i < n; i++) this.#create(`${this.name}-c${i}`, 'busybox:local', 'running');
    return this;
  }

  /** The engine's address. */
  readonly address: Sender<Message> = {
    [kSender]: true,
    send: (m) => {
      if (this.hung) return undefined;
      const args = m.args as DockerArgs;
      this.calls.push(args);
      const reply = this.#answer(args);
      queueMicrotask(() => {
        void m.ret?.send(reply.ok ? { verb: 'set', args: reply.ok } : { verb: 'error', args: reply.err });
        m.ret?.close();
      });
      return undefined;
    },
    close: () => {},
    closed: false,
  };

  #create(name: string | undefined, image: string, state = 'created'): FakeContainer {
    const c: FakeContainer = {
      Id: `${this.name}${(seq++).toString(16)}`.padEnd(64, 'f').replace(/[^0-9a-f]/g, 'a'),
      Names: name ? [`/${name}`] : [`/anon${seq}`],
      Image: image,
      Created: 1_700_000_000 + seq,
      State: state,
      Status: state === 'running' ? 'Up 1 second' : 'Created',
      Labels: {},
    };
    this.containers.push(c);
    return c;
  }

  #find(id = ''): FakeContainer | undefined {
    return this.containers.find((c) => c.Id === id || c.Names.includes(`/${id}`) || c.Id.startsWith(id));
  }

  #answer(a: DockerArgs): { ok?: DockerResult; err?: { message: string; status: number } } {
    const nf = (what: string) => ({ err: { message: `No such ${what}: ${a.id}`, status: 404 } });
    switch (a.op) {
      case 'info':
        return {
          ok: {
            status: 200,
            body: {
              Name: this.name,
              NCPU: 2,
              MemTotal: 1024,
              Containers: this.containers.length,
              Labels: [`name=${this.name}`],
            },
          },
        };
      case 'version':
        return { ok: { status: 200, body: { ApiVersion: '1.41', Version: 'fake' } } };
      case 'container.list':
        return {
          ok: {
            status: 200,
            body: this.containers.filter((c) => a.query.all === '1' || c.State === 'running'),
          },
        };
      case 'image.inspect':
        return this.images.has(a.id ?? '') ? { ok: { status: 200, body: { Id: a.id } } } : nf('image');
      case 'container.create': {
        const name = a.query.name;
        if (name && this.#find(name))
          return {
            err: { message: `Conflict. The container name "/${name}" is already in use`, status: 409 },
          };
        const body = a.body as { Image: string };
        return { ok: { status: 201, body: { Id: this.#create(name, body.Image).Id, Warnings: [] } } };
      }
      case 'container.inspect':
      case 'container.start': {
        const c = this.#find(a.id);
        if (!c) return nf('container');
        if (a.op === 'container.start') c.State = 'running';
        return {
          ok: a.op === 'container.start' ? { status: 204 } : { status: 200, body: { ...c, Node: this.name } },
        };
      }
      case 'container.remove': {
        const c = this.#find(a.id);
        if (!c) return nf('container');
        this.containers.splice(this.containers.indexOf(c), 1);
        return { ok: { status: 204 } };
      }
      case 'container.exec': {
        const id = `exec${this.name}${seq++}`;
        this.#execs.add(id);
        return { ok: { status: 201, body: { Id: id } } };
      }
      case 'exec.inspect':
        return this.#execs.has(a.id ?? '')
          ? { ok: { status: 200, body: { ID: a.id, Node: this.name } } }
          : nf('exec instance');
      default:
        return { err: { message: `fake: ${a.op} not implemented`, status: 501 } };
    }
  }
}
