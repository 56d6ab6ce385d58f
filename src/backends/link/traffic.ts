/**
 * The libchan traffic of one link stage (`listen`, `remote`) over all its sessions: the live ones
 * read at sample time from their own counters (`Session.traffic`), the ended ones added up when they
 * end, so the totals only grow while the stage lives (Prometheus counters). Nothing is done per
 * message here; swarmd `--admin` reads {@link LinkTraffic.totals} once a scrape or sample.
 * @module
 */
import type { Session } from '../../libchan/index.js';
import type { SessionTraffic } from '../../libchan/session-flow.js';

/** Every field of {@link SessionTraffic}, for summing. */
const FIELDS = ['bytesOut', 'bytesIn', 'messagesOut', 'messagesIn', 'creditStalls'] as const;

function zero(): SessionTraffic {
  return { bytesOut: 0, bytesIn: 0, messagesOut: 0, messagesIn: 0, creditStalls: 0 };
}

/** Totals of the sessions one link stage has had. */
export class LinkTraffic {
  readonly #ended = zero();
  readonly #live = new Set<Session>();

  /** Counts `session` from now on, and keeps its counts once it ends. Returns the session. */
  track(session: Session): Session {
    if (this.#live.has(session)) return session;
    this.#live.add(session);
    void session.done.then(() => {
      if (!this.#live.delete(session)) return;
      for (const f of FIELDS) this.#ended[f] += session.traffic[f];
    });
    return session;
  }

  /** Bytes, messages and credit stalls of every session so far (a new object each call). */
  totals(): SessionTraffic {
    const t = { ...this.#ended };
    for (const s of this.#live) for (const f of FIELDS) t[f] += s.traffic[f];
    return t;
  }
}
