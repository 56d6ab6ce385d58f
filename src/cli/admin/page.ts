/**
 * The admin page's HTML and CSS, shipped as strings inside the package (no build step, no files to
 * locate at run time). Its script is page-script.ts.
 * @module
 */

/** `/`: the page shell; app.js fills it from `/api/events`. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>swarmd admin</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header>
  <h1>swarmd <span id="version"></span></h1>
  <span id="ready" class="badge">…</span>
  <span id="summary"></span>
  <span id="status" class="stale">connecting…</span>
</header>
<p class="legend">
  <svg class="spark" viewBox="0 0 120 24"><polyline class="rate" points="0,12 120,12"/></svg> messages/s
  <svg class="spark" viewBox="0 0 120 24"><polyline class="p99" points="0,12 120,12"/></svg> p99 ms
  (each line scaled to its own peak over the last 2 minutes)
</p>
<main id="tree"><p>waiting for the first sample…</p></main>
<script src="/app.js"></script>
</body>
</html>
`;

/** `/style.css`. */
export const PAGE_CSS = `
:root { font: 13px/1.4 system-ui, sans-serif; color: #1d2430; background: #f6f7f9; }
header { display: flex; gap: 1em; align-items: baseline; padding: .6em 1em; background: #1d2430; color: #fff; }
header h1 { font-size: 1.2em; margin: 0; }
#version { font-weight: normal; opacity: .7; }
#status { margin-left: auto; font-variant-numeric: tabular-nums; }
#status.stale { color: #ffb454; }
.legend { margin: .5em 1em; color: #596273; }
.legend .spark { width: 30px; height: 10px; vertical-align: middle; }
main { padding: 0 1em 1em; }
.sup { margin: .3em 0 .3em .2em; padding-left: .8em; border-left: 2px solid #d5d9e0; }
.sup > .head { font-weight: 600; color: #3a4457; padding: .2em 0; }
.sup > .head .meta { font-weight: normal; color: #6b7588; margin-left: .6em; }
.actor { display: grid; align-items: center; gap: .2em .8em; margin: .25em 0; padding: .45em .7em;
  grid-template-columns: 11em 6.5em 9.5em 10em 8em 5em 9em 6em 1fr 130px;
  background: #fff; border: 1px solid #dde1e7; border-radius: 6px; font-variant-numeric: tabular-nums; }
.actor .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; }
.actor .k { display: block; font-size: .78em; color: #7a8496; }
.actor .err { color: #a1261b; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.badge { display: inline-block; padding: 0 .5em; border-radius: 9px; font-size: .9em; background: #e4e7ec; color: #333; }
.s-running, .h-healthy, .l-up, .ready { background: #d5f2dc; color: #17652d; }
.s-restarting, .s-starting, .h-degraded, .h-connecting, .l-connecting { background: #fff0c9; color: #7a5300; }
.s-failed, .s-stopped, .h-down, .h-backoff, .l-down, .l-stopped, .notready { background: #fbd9d5; color: #8d1f14; }
.bar { display: block; width: 100%; height: 5px; margin-top: 2px; appearance: none; border: 0; background: #e4e7ec; }
.bar::-webkit-progress-bar { background: #e4e7ec; border-radius: 3px; }
.bar::-webkit-progress-value { background: #4c7bd9; border-radius: 3px; }
.spark { width: 130px; height: 28px; }
.spark polyline { fill: none; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.spark .rate { stroke: #4c7bd9; }
.spark .p99 { stroke: #d9822b; }
`;
