/**
 * The admin page's script (`/app.js`), plain ES5-style browser JavaScript shipped as a string: it
 * subscribes to `/api/events` (server-sent events, one sample a second; the browser reconnects on its
 * own) and redraws the tree from each sample. Every value is escaped before it becomes markup. Rows carry
 * `data-` attributes (id, path, state, health, restarts) for tests and for people reading the DOM.
 * @module
 */

/** `/app.js`. */
export const PAGE_JS = `'use strict';
(function () {
  var tree = document.getElementById('tree');
  var status = document.getElementById('status');
  var ready = document.getElementById('ready');
  var summary = document.getElementById('summary');
  var HISTORY = 120;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function num(x, digits) {
    if (x === undefined || x === null) return '–';
    var f = Math.pow(10, digits);
    return String(Math.round(x * f) / f);
  }
  function ago(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    return Math.round(s / 3600) + ' h ago';
  }
  function line(values, cls) {
    var max = 0;
    for (var i = 0; i < values.length; i++) if (values[i] !== null && values[i] > max) max = values[i];
    if (max === 0) max = 1;
    var pts = [];
    var offset = HISTORY - values.length;
    for (var j = 0; j < values.length; j++) {
      if (values[j] === null) continue;
      var x = ((offset + j) * 120) / (HISTORY - 1);
      var y = 23 - (values[j] / max) * 22;
      pts.push(x.toFixed(1) + ',' + y.toFixed(1));
    }
    return '<polyline class="' + cls + '" points="' + pts.join(' ') + '"/>';
  }
  function bytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return num(n / 1024, 1) + ' KiB';
    return num(n / 1048576, 1) + ' MiB';
  }
  // A link stage's libchan traffic: bytes and messages in/out, credit stalls.
  function traffic(t) {
    if (!t) return '';
    return '<span class="k traffic" data-messages-in="' + t.messagesIn + '" data-messages-out="' +
      t.messagesOut + '">' + esc(bytes(t.bytesIn)) + ' / ' + esc(bytes(t.bytesOut)) + ' in/out · ' +
      t.messagesIn + ' / ' + t.messagesOut + ' msgs · ' + t.creditStalls + ' stalls</span>';
  }
  function cell(label, value) {
    return '<div><span class="k">' + esc(label) + '</span>' + value + '</div>';
  }
  function actor(a, now) {
    var h = a.health;
    var fill = a.mailboxCapacity ? Math.min(100, (100 * a.mailboxDepth) / a.mailboxCapacity) : 0;
    var l = a.link;
    var health = h
      ? '<span class="badge health h-' + esc(h.state) + '">' + esc(h.state) + '</span>' +
        '<span class="k">' + esc(ago(now - h.since)) + (h.reason ? ': ' + esc(h.reason) : '') + '</span>'
      : l && l.kind === 'remote'
        ? '<span class="badge link l-' + esc(l.state) + '">link ' + esc(l.state) + '</span>' +
          '<span class="k">' + l.inFlight + ' in flight over it</span>' + traffic(l.traffic)
        : l && l.kind === 'listen'
          ? '<span class="badge link">' + l.sessions + ' session' + (l.sessions === 1 ? '' : 's') + '</span>' +
            traffic(l.traffic)
          : '<span class="k">–</span>';
    var err = a.lastError
      ? '<span class="err" title="' + esc(a.lastError) + '">' + esc(a.lastError) + '</span>' +
        '<span class="k">' + esc(ago(now - a.lastErrorAt)) + '</span>'
      : '<span class="k">no error</span>';
    return (
      '<div class="actor" data-id="' + esc(a.id) + '" data-path="' + esc(a.path) + '" data-state="' +
      esc(a.state) + '" data-health="' + esc(h ? h.state : '') + '" data-link="' +
      esc(l ? (l.kind === 'remote' ? l.state : l.sessions) : '') + '" data-restarts="' + a.restarts + '">' +
      '<div class="name" title="' + esc(a.path) + '">' + esc(a.id) + '</div>' +
      cell('state', '<span class="badge state s-' + esc(a.state) + '">' + esc(a.state) + '</span>') +
      cell('daemon health / link', health) +
      cell('mailbox', a.mailboxDepth + ' / ' + a.mailboxCapacity + ' (max ' + a.mailboxHighWater + ')' +
        '<progress class="bar" max="100" value="' + fill.toFixed(1) + '"></progress>') +
      cell('in flight', String(a.inFlight) + (a.daemon
        ? ' <span class="k">' + a.daemon.streamsOpen + ' / ' + a.daemon.streamsLimit + ' streams' +
          (a.daemon.poolCalls === undefined ? '' : ' · ' + Math.min(a.daemon.poolCalls, a.daemon.connectionsLimit) +
            ' / ' + a.daemon.connectionsLimit + ' pooled') + '</span>'
        : '')) +
      cell('msg/s', num(a.rate, 1)) +
      cell('p50 / p99 ms', num(a.p50, 2) + ' / ' + num(a.p99, 2)) +
      cell('restarts', '<span class="restarts">' + a.restarts + '</span>' +
        (a.failures ? ' <span class="k">' + a.failures + ' failed</span>' : '')) +
      cell('last error', err) +
      '<svg class="spark" viewBox="0 0 120 24" preserveAspectRatio="none" aria-label="history">' +
      line(a.history.rate, 'rate') + line(a.history.p99, 'p99') + '</svg>' +
      '</div>'
    );
  }
  function sup(s, now) {
    var kids = '';
    var i;
    // A supervisor's own actor first, then the supervisors under it (an aggregate's nodes).
    for (i = 0; i < s.children.length; i++) if (s.children[i].kind === 'actor') kids += actor(s.children[i], now);
    for (i = 0; i < s.children.length; i++) if (s.children[i].kind !== 'actor') kids += sup(s.children[i], now);
    var meta = s.status + (s.restarts ? ' · ' + s.restarts + ' restarts' : '') +
      (s.giveUps ? ' · gave up ' + s.giveUps + '×' : '');
    return '<div class="sup" data-path="' + esc(s.path) + '" data-status="' + esc(s.status) + '">' +
      '<div class="head">' + esc(s.id) + '<span class="meta">supervisor · ' + esc(meta) + '</span></div>' +
      kids + '</div>';
  }
  function render(v) {
    document.getElementById('version').textContent = v.version;
    ready.textContent = v.ready ? 'ready' : 'not ready';
    ready.className = 'badge ' + (v.ready ? 'ready' : 'notready');
    ready.title = v.notReady.join('; ');
    var dead = v.deadLetters.total || 0;
    summary.textContent = v.system.live + ' actors · ' + dead + ' dead letters · up ' +
      Math.round((v.time - v.startedAt) / 1000) + ' s';
    tree.innerHTML = sup(v.tree, v.time);
    status.textContent = 'live · ' + new Date().toLocaleTimeString();
    status.className = 'live';
  }

  var events = new EventSource('/api/events');
  events.onmessage = function (e) {
    render(JSON.parse(e.data));
  };
  events.onerror = function () {
    status.textContent = 'reconnecting…';
    status.className = 'stale';
  };
})();
`;
