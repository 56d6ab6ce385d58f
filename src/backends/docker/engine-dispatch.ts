/**
 * The hot path of a pooled call whose answer is read whole (ps, inspect, create, start…): one undici
 * `dispatch` with a handler that gathers the body's chunks, under a deadline timer on the clock.
 *
 * Why not `pool.request({ signal })` + `body.arrayBuffer()`, as before: per call that built an
 * AbortController (and its signal's listeners), undici's RequestHandler and a Node Readable for the
 * body only to concatenate it again, several promise hops on top. A CPU profile of a swarmd process
 * passing `GET /containers/json` (bench/proxy-baseline.bench.ts --cpu-prof) showed them among the
 * largest items of our own: this does the same with one handler object and one promise.
 * @module
 */
import type { Dispatcher, Pool } from 'undici';
import type { Clock, TimerHandle } from '../../clock.js';
import { flatHeaders } from './engine-direct.js';
import { connectionLost, deadlineExceeded } from './engine-limits.js';

/** A call ready for {@link dispatchWhole}: method, versioned path with query, headers and body. */
export interface WholeCall {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
}

/** The answer of {@link dispatchWhole}: status, headers (lower-case names, repeated ones joined), body bytes. */
export interface WholeAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What names the call in a failure: the daemon's address, the call (`GET /containers/json`), its deadline. */
export interface CallLabel {
  address: string;
  what: string;
  ms: number;
}

/**
 * Sends `call` on `pool` and resolves with the complete answer, or rejects with a
 * `SWARM_ERR_DEADLINE_EXCEEDED` once `label.ms` have passed on `clock` without the whole answer (the
 * request is aborted, its socket not reused) or with what {@link connectionLost} makes of undici's error.
 */
export function dispatchWhole(
  pool: Pool,
  clock: Clock,
  call: WholeCall,
  label: CallLabel,
): Promise<WholeAnswer> {
  return new Promise<WholeAnswer>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let done = false;
    let status = 0;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    const finish = () => {
      done = true;
      clock.clearTimeout(timer);
    };
    // A request still queued for a pooled socket has no controller yet: it is aborted when it gets one.
    const timer: TimerHandle = clock.setTimeout(() => {
      if (done) return;
      done = true;
      const err = deadlineExceeded(label);
      controller?.abort(err);
      reject(err);
    }, label.ms);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (done) c.abort(deadlineExceeded(label));
      },
      onResponseStart(_c, statusCode, raw) {
        status = statusCode;
        headers = flatHeaders(raw);
      },
      onResponseData(_c, chunk) {
        chunks.push(chunk);
      },
      onResponseEnd() {
        if (done) return;
        finish();
        resolve({ status, headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
      },
      onResponseError(_c, err) {
        if (done) return;
        finish();
        reject(connectionLost(label.address, err));
      },
    };
    try {
      pool.dispatch(
        {
          method: call.method as Dispatcher.HttpMethod,
          path: call.path,
          headers: call.headers,
          body: call.body ?? null,
        },
        handler,
      );
    } catch (err) {
      finish();
      reject(connectionLost(label.address, err));
    }
  });
}
