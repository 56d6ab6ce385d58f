/**
 * The streaming answers of one engine: attach (frames or raw, stdin into the process), logs
 * (backlog, tail, since/until, timestamps, follow), wait (headers at once, result on exit/removal)
 * and pull progress. Every stream forgets its watcher when the client goes away.
 * @module
 */
import { type Duplex, PassThrough } from 'node:stream';
import { type Attachment, isRunning, type LogFollower, type SimContainer, type Waiter } from './container.js';
import { type Engine, waitBody } from './engine.js';
import { badRequest, conflict } from './engine-errors.js';
import { containerEvent, imageEvent } from './events.js';
import { encodeEntry } from './output.js';
import { parseTimestamp } from './time.js';

/** A Docker boolean query flag (`1`, `true`). */
export function flag(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** `POST /containers/{id}/attach`: returns the output stream; `stdin` is the client's raw input. */
export function attach(
  engine: Engine,
  ref: string,
  query: Record<string, string>,
  stdin?: Duplex,
  opts: { raw?: boolean } = {},
): PassThrough {
  const c = engine.containers.get(ref);
  if (c.status === 'paused')
    throw conflict(`container ${ref} is paused, unpause the container before attach`);
  const out = new PassThrough();
  const watcher: Attachment = { out, stdout: flag(query.stdout), stderr: flag(query.stderr) };
  if (opts.raw) watcher.raw = true;
  if (flag(query.logs)) {
    for (const e of c.logs) {
      const bytes = encodeEntry(e, watcher, c.config.Tty);
      if (bytes) out.write(bytes);
    }
  }
  if (!flag(query.stream)) {
    stdin?.destroy();
    out.end();
    return out;
  }
  // Not running: the attach lasts until the next run ends (docker run / start -a attach first).
  c.attachments.add(watcher);
  engine.events.emit(containerEvent(c, 'attach', engine.wall.now()));
  const detach = () => {
    c.attachments.delete(watcher);
    stdin?.removeListener('data', onData);
    if (stdin && !stdin.destroyed) stdin.destroy();
  };
  const onData = (chunk: Buffer) => c.stdin.push(chunk);
  out.once('close', detach);
  out.once('finish', detach);
  if (stdin && flag(query.stdin) && c.config.OpenStdin) {
    stdin.on('data', onData);
    stdin.once('end', () => {
      if (c.config.StdinOnce) c.stdin.end();
      // A tty's stdin EOF ends the attach session; a non-tty one keeps streaming output (§3.2).
      if (c.config.Tty) out.end();
    });
    stdin.once('error', () => {});
  } else stdin?.resume();
  return out;
}

/** `GET /containers/{id}/logs`. */
export function logs(engine: Engine, ref: string, query: Record<string, string>): PassThrough {
  const c = engine.containers.get(ref);
  const follower: LogFollower = {
    out: new PassThrough(),
    stdout: flag(query.stdout),
    stderr: flag(query.stderr),
    timestamps: flag(query.timestamps),
  };
  if (!follower.stdout && !follower.stderr) {
    throw badRequest('Bad parameters: you must choose at least one stream');
  }
  const since = bound(query.since, 'since') ?? 0;
  const until = bound(query.until, 'until');
  const tail =
    query.tail === undefined || query.tail === '' || query.tail === 'all' ? -1 : Number(query.tail);
  let entries = c.logs.filter(
    (e) =>
      (e.stream === 1 ? follower.stdout : follower.stderr) &&
      e.time >= since &&
      (until === undefined || e.time <= until),
  );
  if (Number.isInteger(tail) && tail >= 0) entries = tail === 0 ? [] : entries.slice(-tail);
  for (const e of entries) {
    const bytes = encodeEntry(e, follower, c.config.Tty);
    if (bytes) follower.out.write(bytes);
  }
  if (flag(query.follow) && isRunning(c) && until === undefined) {
    c.followers.add(follower);
    const forget = () => c.followers.delete(follower);
    follower.out.once('close', forget);
    follower.out.once('finish', forget);
  } else follower.out.end();
  return follower.out;
}

function bound(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '' || value === '0') return undefined;
  const ms = parseTimestamp(value);
  if (ms === undefined) throw badRequest(`invalid value for ${name}: ${value}`);
  return ms;
}

const CONDITIONS = new Set<Waiter['condition']>(['not-running', 'next-exit', 'removed']);

/** `POST /containers/{id}/wait`: the stream gets `{"Error":null,"StatusCode":N}` when the condition holds. */
export function wait(engine: Engine, ref: string, condition: string | undefined): PassThrough {
  const c: SimContainer = engine.containers.get(ref);
  const cond = (
    condition === undefined || condition === '' ? 'not-running' : condition
  ) as Waiter['condition'];
  if (!CONDITIONS.has(cond)) throw badRequest(`invalid condition: "${condition}"`);
  const out = new PassThrough();
  if (cond === 'not-running' && !isRunning(c)) {
    out.end(waitBody(c.exitCode));
    return out;
  }
  const waiter: Waiter = { condition: cond, out };
  c.waiters.add(waiter);
  out.once('close', () => c.waiters.delete(waiter));
  return out;
}

/** `POST /images/create?fromImage=&tag=`: the image appears at once; progress lines like a registry pull. */
export function pull(engine: Engine, query: Record<string, string>): PassThrough {
  const from = query.fromImage ?? '';
  if (from === '') {
    throw badRequest('fromImage is required');
  }
  const tag = query.tag ?? '';
  const ref = tag === '' ? from : tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`;
  const { image, fresh } = engine.images.pull(ref, engine.wall.now());
  const shown = image.tags[0] ?? ref;
  const out = new PassThrough();
  const line = (o: object) => out.write(`${JSON.stringify(o)}\n`);
  line({
    status: `Pulling from ${shown.slice(0, shown.lastIndexOf(':')).replace(/^(?![^/]*\/)/, 'library/')}`,
    id: tag || 'latest',
  });
  line({ status: `Digest: ${image.digest.slice(image.digest.indexOf('@') + 1)}` });
  line({
    status: fresh
      ? `Status: Downloaded newer image for ${shown}`
      : `Status: Image is up to date for ${shown}`,
  });
  engine.events.emit(imageEvent(shown, 'pull', engine.wall.now()));
  out.end();
  return out;
}
