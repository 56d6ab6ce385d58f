/**
 * A small ustar writer and reader for what the simulator streams: `docker save`/`load`, `export`.
 * Written here on node's built-ins because the format needed is tiny (regular files, directories,
 * symlinks; long names as PAX `path` records, read also as GNU `L` records) and the reader must be
 * incremental: an upload arrives in chunks and layer bodies the simulator does not keep are skipped
 * rather than buffered.
 * @module
 */

/** One archive entry. */
export interface TarEntry {
  /** Relative path, directories with a trailing `/` as tar writes them. */
  name: string;
  type: 'file' | 'dir' | 'link';
  /** File contents (empty for dirs and links). */
  data: Buffer;
  /** Symlink target. */
  target?: string;
  mode?: number;
  /** Seconds since the epoch. */
  mtime?: number;
}

const BLOCK = 512;
/** The most a PAX or GNU `L` body may hold, as Go's archive/tar (maxSpecialFileSize): it is kept whole. */
const MAX_META = 1024 * 1024;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, type: string, mode: number, mtime: number, target = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write(target, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % BLOCK;
  return rest === 0 ? [data] : [data, Buffer.alloc(BLOCK - rest)];
}

/** A PAX record `"<len> key=value\n"`, its length counting itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len++;
  return Buffer.from(`${len}${body}`);
}

/** Encodes entries as a tar archive (with the two zero blocks at the end). */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type === 'dir' ? '5' : e.type === 'link' ? '2' : '0';
    const mode = e.mode ?? (e.type === 'file' ? 0o644 : e.type === 'dir' ? 0o755 : 0o777);
    const mtime = e.mtime ?? 0;
    const target = e.target ?? '';
    let name = e.name;
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(target) > 100) {
      const pax = Buffer.concat([
        paxRecord('path', name),
        ...(target ? [paxRecord('linkpath', target)] : []),
      ]);
      parts.push(header('PaxHeader', pax.length, 'x', 0o644, mtime), ...padded(pax));
      name = name.slice(0, 99);
    }
    const data = e.type === 'file' ? e.data : Buffer.alloc(0);
    // The header holds what fits of the target (all of it up to 100 bytes; past that PAX has it).
    parts.push(header(name, data.length, type, mode, mtime, target), ...padded(data));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** Why a tar stream could not be read (dockerd words a cut archive `unexpected EOF`). */
export class TarError extends Error {}

function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return (nul < 0 ? raw : raw.subarray(0, nul)).toString('utf8');
}

function number(h: Buffer, start: number, length: number): number {
  const text = field(h, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError('archive/tar: invalid tar header');
  return Number.parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
  return sum === number(h, 148, 8);
}

/**
 * The `path` and `linkpath` of PAX records `"<len> key=value\n"`, read as Go's parsePAXRecord reads
 * them: a record's length covers its own digits, the space and the newline (so each record moves the
 * reading on: linear time), and a malformed record is an invalid header.
 */
function paxPath(data: Buffer): { path?: string; linkpath?: string } {
  const out: { path?: string; linkpath?: string } = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    const digits = space < 0 ? '' : data.subarray(i, space).toString('latin1');
    const len = /^[0-9]{1,16}$/.test(digits) ? Number(digits) : 0;
    if (len < 5 || len <= digits.length + 1 || i + len > data.length || data[i + len - 1] !== 0x0a)
      throw new TarError('archive/tar: invalid tar header');
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) throw new TarError('archive/tar: invalid tar header');
    const key = record.slice(0, eq);
    if (key === 'path' || key === 'linkpath') out[key] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/** The entry whose body is being read. */
interface Pending {
  name: string;
  type: TarEntry['type'] | 'pax' | 'gnu' | 'other';
  size: number;
  left: number;
  keep: boolean;
  parts: Buffer[];
  target: string;
  mode: number;
  mtime: number;
}

/**
 * An incremental tar reader: {@link TarReader.push} chunks as they arrive, {@link TarReader.end} at
 * the end. Every entry is reported to `onEntry`; the bodies of entries `keep` refuses are skipped
 * (their `data` is empty), and kept bytes are bounded by `limit`.
 */
export class TarReader {
  #buf: Buffer = Buffer.alloc(0);
  #current: Pending | undefined;
  /** The next entry's name from a PAX `path` record, and from a GNU `L` body (which wins, as in Go). */
  #nextPaxName: string | undefined;
  #nextGnuName: string | undefined;
  #nextTarget: string | undefined;
  #kept = 0;
  #done = false;

  constructor(
    readonly onEntry: (e: TarEntry) => void,
    readonly keep: (name: string) => boolean = () => true,
    readonly limit = 256 * 1024 * 1024,
  ) {}

  /** True once the end-of-archive blocks were read. */
  get done(): boolean {
    return this.#done;
  }

  /** Feeds bytes; throws {@link TarError} on a malformed header. */
  push(chunk: Buffer): void {
    if (this.#done) return;
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      const cur = this.#current;
      if (cur) {
        if (cur.left > 0) {
          const take = Math.min(cur.left, this.#buf.length);
          if (take === 0) return;
          if (cur.keep) cur.parts.push(this.#buf.subarray(0, take));
          this.#buf = this.#buf.subarray(take);
          cur.left -= take;
          if (cur.left > 0) return;
        }
        const pad = (BLOCK - (cur.size % BLOCK)) % BLOCK;
        if (this.#buf.length < pad) return;
        this.#buf = this.#buf.subarray(pad);
        this.#current = undefined;
        this.#finish(cur);
        continue;
      }
      if (this.#buf.length < BLOCK) return;
      const h = this.#buf.subarray(0, BLOCK);
      this.#buf = this.#buf.subarray(BLOCK);
      if (h.every((b) => b === 0)) {
        this.#done = true;
        return;
      }
      if (!checksumOk(h)) throw new TarError('archive/tar: invalid tar header');
      const flag = String.fromCharCode(h[156] as number);
      const prefix = field(h, 345, 155);
      const base = field(h, 0, 100);
      const name = this.#nextGnuName ?? this.#nextPaxName ?? (prefix ? `${prefix}/${base}` : base);
      const size = number(h, 124, 12);
      const type =
        flag === 'x'
          ? 'pax'
          : flag === 'L'
            ? 'gnu'
            : flag === '5'
              ? 'dir'
              : flag === '2'
                ? 'link'
                : flag === '0' || flag === '\0'
                  ? 'file'
                  : 'other';
      const meta = type === 'pax' || type === 'gnu';
      // Kept bodies are bounded before any of them is read: a size field allocates nothing.
      if (meta && size > MAX_META) throw new TarError('archive/tar: header field too long');
      const keep = meta || (type === 'file' && this.keep(name));
      if (keep && !meta) {
        this.#kept += size;
        if (this.#kept > this.limit)
          throw new TarError(`archive too large for the simulator (over ${this.limit} bytes kept)`);
      }
      if (!meta) {
        this.#nextPaxName = undefined;
        this.#nextGnuName = undefined;
      }
      const target = this.#nextTarget ?? field(h, 157, 100);
      if (!meta) this.#nextTarget = undefined;
      this.#current = {
        name,
        type,
        size,
        left: size,
        keep,
        parts: [],
        target,
        mode: number(h, 100, 8),
        mtime: number(h, 136, 12),
      };
    }
  }

  #finish(cur: Pending): void {
    const data = Buffer.concat(cur.parts);
    if (cur.type === 'pax') {
      const p = paxPath(data);
      if (p.path !== undefined) this.#nextPaxName = p.path;
      if (p.linkpath !== undefined) this.#nextTarget = p.linkpath;
      return;
    }
    if (cur.type === 'gnu') {
      // Go's archive/tar applies the PAX records, then a GNU long name over them, whatever the order.
      this.#nextGnuName = field(data, 0, data.length);
      return;
    }
    if (cur.type === 'other') return;
    const e: TarEntry = { name: cur.name, type: cur.type, data, mode: cur.mode, mtime: cur.mtime };
    if (cur.type === 'link') e.target = cur.target;
    this.onEntry(e);
  }

  /** Declares the end of input; throws `unexpected EOF` when an entry or header was cut off. */
  end(): void {
    if (this.#done) return;
    if (this.#current || this.#buf.length > 0) throw new TarError('unexpected EOF');
    this.#done = true;
  }
}

/** Reads a whole archive held in memory. */
export function readTar(bytes: Buffer, keep?: (name: string) => boolean): TarEntry[] {
  const out: TarEntry[] = [];
  const r = new TarReader((e) => out.push(e), keep);
  r.push(bytes);
  r.end();
  return out;
}
