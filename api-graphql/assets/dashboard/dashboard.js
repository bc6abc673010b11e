// The plan's indicators, live. Reads `plan(year:)` over HTTP, then listens
// to `kpiUpdated` over graphql-ws (the graphql-transport-ws protocol,
// spoken by the few lines below rather than a library, so that nothing has
// to be fetched or pinned). A separate file, not an inline script, so that
// the page's Content-Security-Policy can forbid those.
//
// The token is pasted by the user and kept in sessionStorage: it goes with
// the tab, and the page itself carries no secret.
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var TOKEN_KEY = 'prasme:dashboard:token';
  var PLAN = 'query Dashboard($year: Int, $at: Position) { plan(year: $year, atLeastPosition: $at) { priorities { ' +
    'number titleEn measures { code titleEn deadlineYear indicators { indicatorId textEn ' +
    'target { kind value min max unit } actual status notComputableReason ' +
    'series { indicatorId ordinal labelEn unit count denominator sharePercent status target { kind value min max unit } ' +
    'history { position recordedAt count denominator } } } } } } }';
  var UPDATES = 'subscription DashboardUpdates { kpiUpdated { position indicatorId status ' +
    'series { ordinal count denominator sharePercent status } } }';

  var $ = function (id) { return document.getElementById(id); };
  var state = { year: null, series: {}, socket: null, retry: 0, reloadTimer: null, loading: 0 };

  function token() { return window.sessionStorage.getItem(TOKEN_KEY) || ''; }
  function authorization() { return 'Bearer ' + token(); }
  function say(text, isError) {
    var m = $('message');
    m.textContent = text || '';
    m.className = isError ? 'message error' : 'message';
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // ---- reading the plan ----------------------------------------------------

  function graphql(query, variables) {
    return window.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: authorization() },
      body: JSON.stringify({ query: query, variables: variables }),
    }).then(function (r) {
      return r.json().then(function (body) {
        if (body.errors && body.errors.length) {
          var e = body.errors[0];
          throw new Error(e.message + (e.extensions && e.extensions.code ? ' (' + e.extensions.code + ')' : ''));
        }
        return body.data;
      });
    });
  }

  function load(atLeastPosition) {
    var ticket = ++state.loading;
    var year = state.year;
    return graphql(PLAN, { year: year, at: atLeastPosition || null }).then(function (data) {
      // A slower answer for another year must not overwrite a newer one.
      if (ticket !== state.loading) return;
      render(data.plan);
      say('');
    }, function (e) {
      if (ticket === state.loading) say('Could not read the plan: ' + e.message, true);
    });
  }

  // ---- drawing ---------------------------------------------------------------

  function targetText(t) {
    if (!t) return 'monitoring (no target)';
    switch (t.kind) {
      case 'AT_LEAST_COUNT': return 'at least ' + t.value;
      case 'AT_LEAST_PERCENT': return 'at least ' + t.value + ' %';
      case 'RANGE_COUNT': return t.min + '–' + t.max;
      case 'EVERY': return 'one in every ' + (t.unit === 'RESOR' ? 'resor' : 'state institution');
      case 'MILESTONE': return 'done (milestone)';
      default: return t.kind;
    }
  }

  function statusBadge(status) {
    var s = el('span', 'status status-' + (status || 'NONE').toLowerCase(), status ? status.replace('_', ' ') : '—');
    s.setAttribute('data-status', status || '');
    return s;
  }

  function render(plan) {
    var root = $('plan');
    state.series = {};
    root.textContent = '';
    plan.priorities.forEach(function (p) {
      var section = el('section', 'priority');
      section.setAttribute('data-priority', p.number);
      section.appendChild(el('h2', null, 'P' + p.number + ' ' + p.titleEn));
      p.measures.forEach(function (m) {
        var measure = el('div', 'measure');
        measure.setAttribute('data-measure', m.code);
        measure.appendChild(el('h3', null, m.code + ' ' + m.titleEn + ' (by ' + m.deadlineYear + ')'));
        m.indicators.forEach(function (i) { measure.appendChild(indicatorRow(i)); });
        section.appendChild(measure);
      });
      root.appendChild(section);
    });
    root.setAttribute('data-loaded', 'true');
    root.setAttribute('data-year', state.year === null ? '' : String(state.year));
  }

  function indicatorRow(i) {
    var row = el('article', 'indicator' + (i.notComputableReason ? ' not-computable' : ''));
    row.setAttribute('data-indicator', i.indicatorId);
    var head = el('div', 'indicator-head');
    head.appendChild(el('span', 'indicator-id', i.indicatorId));
    head.appendChild(el('span', 'indicator-text', i.textEn));
    head.appendChild(el('span', 'indicator-target', targetText(i.target)));
    var badge = statusBadge(i.status);
    badge.classList.add('indicator-status');
    head.appendChild(badge);
    row.appendChild(head);
    if (i.notComputableReason) {
      row.appendChild(el('p', 'reason', 'Not computed: ' + i.notComputableReason));
      return row;
    }
    i.series.forEach(function (s) { row.appendChild(seriesRow(s)); });
    var link = el('a', 'breakdown-link', 'breakdown CSV');
    link.href = '#';
    link.setAttribute('data-export', 'breakdown');
    link.setAttribute('data-for', i.indicatorId);
    row.appendChild(link);
    return row;
  }

  function seriesRow(s) {
    var key = s.indicatorId + '/' + s.ordinal;
    var row = el('div', 'series');
    row.setAttribute('data-series', key);
    row.appendChild(el('span', 'label', s.labelEn));
    var numbers = el('span', 'numbers');
    row.appendChild(numbers);
    var status = el('span', 'series-status');
    row.appendChild(status);
    var chart = document.createElementNS(SVG, 'svg');
    chart.setAttribute('class', 'chart');
    chart.setAttribute('viewBox', '0 0 200 40');
    chart.setAttribute('preserveAspectRatio', 'none');
    chart.setAttribute('role', 'img');
    row.appendChild(chart);
    var entry = { row: row, numbers: numbers, status: status, chart: chart, target: s.target,
      history: s.history.map(function (h) { return { position: h.position, at: h.recordedAt, count: h.count, denominator: h.denominator }; }) };
    state.series[key] = entry;
    show(entry, s);
    draw(entry);
    return row;
  }

  function show(entry, s) {
    entry.row.setAttribute('data-count', s.count);
    entry.row.setAttribute('data-denominator', s.denominator === null || s.denominator === undefined ? '' : s.denominator);
    entry.numbers.textContent = '';
    if (s.denominator !== null && s.denominator !== undefined) {
      var share = el('strong', 'share', s.sharePercent === null ? '—' : s.sharePercent + ' %');
      entry.numbers.appendChild(share);
      entry.numbers.appendChild(el('span', 'fraction', ' (' + s.count + ' / ' + s.denominator + ')'));
    } else {
      entry.numbers.appendChild(el('strong', 'count', s.count));
    }
    if (s.target) entry.numbers.appendChild(el('span', 'series-target', ' target ' + targetText(s.target)));
    entry.status.textContent = '';
    if (s.status) entry.status.appendChild(statusBadge(s.status));
  }

  // A step chart: the total holds its value until the next event changes it.
  // Shares are drawn as percentages, counts against the larger of their
  // maximum and a count target, so a target line fits on the same scale.
  function draw(entry) {
    var svg = entry.chart;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var points = entry.history;
    var share = points.some(function (p) { return p.denominator !== null && p.denominator !== undefined; });
    var value = function (p) {
      if (!share) return p.count;
      return p.denominator > 0 ? (100 * p.count) / p.denominator : 0;
    };
    var goal = null;
    if (entry.target && (entry.target.kind === 'AT_LEAST_COUNT' || entry.target.kind === 'AT_LEAST_PERCENT')) goal = entry.target.value;
    if (entry.target && entry.target.kind === 'RANGE_COUNT') goal = entry.target.min;
    var top = share ? 100 : 1;
    points.forEach(function (p) { top = Math.max(top, value(p)); });
    if (goal !== null) top = Math.max(top, goal);
    var W = 200, H = 40, pad = 2;
    var y = function (v) { return H - pad - (v / top) * (H - 2 * pad); };
    var n = points.length;
    var x = function (i) { return n <= 1 ? W : (i / (n - 1)) * W; };
    svg.setAttribute('data-points', String(n));
    if (goal !== null) {
      var g = document.createElementNS(SVG, 'line');
      g.setAttribute('class', 'goal');
      g.setAttribute('x1', '0'); g.setAttribute('x2', String(W));
      g.setAttribute('y1', y(goal).toFixed(1)); g.setAttribute('y2', y(goal).toFixed(1));
      svg.appendChild(g);
    }
    if (n === 0) {
      var none = document.createElementNS(SVG, 'line');
      none.setAttribute('class', 'empty');
      none.setAttribute('x1', '0'); none.setAttribute('x2', String(W));
      none.setAttribute('y1', String(H - pad)); none.setAttribute('y2', String(H - pad));
      svg.appendChild(none);
      return;
    }
    var d = 'M0,' + y(0).toFixed(1);
    points.forEach(function (p, i) {
      var xi = n === 1 ? 0 : x(i);
      d += ' H' + xi.toFixed(1) + ' V' + y(value(p)).toFixed(1);
    });
    d += ' H' + W;
    var path = document.createElementNS(SVG, 'path');
    path.setAttribute('class', 'line');
    path.setAttribute('d', d);
    svg.appendChild(path);
    var title = document.createElementNS(SVG, 'title');
    var last = points[n - 1];
    title.textContent = n + ' changes; last at position ' + last.position + (last.at ? ', ' + last.at : '');
    svg.appendChild(title);
  }

  // ---- live updates ------------------------------------------------------------

  function apply(update) {
    // kpiUpdated carries whole-plan values. Shown as they come for the
    // whole plan; a year's view is read again, as of the event's position.
    if (state.year !== null) {
      window.clearTimeout(state.reloadTimer);
      state.reloadTimer = window.setTimeout(function () { load(update.position); }, 300);
      return;
    }
    var row = document.querySelector('[data-indicator="' + update.indicatorId + '"]');
    if (row) {
      var badge = row.querySelector('.indicator-status');
      if (badge) {
        var fresh = statusBadge(update.status);
        fresh.classList.add('indicator-status');
        badge.replaceWith(fresh);
      }
    }
    update.series.forEach(function (s) {
      var entry = state.series[update.indicatorId + '/' + s.ordinal];
      if (!entry) return;
      show(entry, Object.assign({ target: entry.target }, s));
      var last = entry.history[entry.history.length - 1];
      // After a lag the server resends current values; a point is added
      // only when the value moved.
      if (!last || last.count !== s.count || last.denominator !== s.denominator) {
        entry.history.push({ position: update.position, at: null, count: s.count, denominator: s.denominator });
        draw(entry);
      }
      entry.row.classList.add('moved');
      window.setTimeout(function () { entry.row.classList.remove('moved'); }, 1500);
    });
  }

  function setLive(live, text) {
    var l = $('live');
    l.setAttribute('data-live', live ? 'true' : 'false');
    l.textContent = text;
    l.className = live ? 'live on' : 'live';
  }

  function connect() {
    if (state.socket) {
      state.socket.onclose = null;
      state.socket.close(1000);
    }
    var url = new URL('/graphql', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    var socket = new WebSocket(url.href, 'graphql-transport-ws');
    state.socket = socket;
    setLive(false, 'connecting…');
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: authorization() } }));
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      switch (message.type) {
        case 'connection_ack':
          state.retry = 0;
          socket.send(JSON.stringify({ id: 'kpis', type: 'subscribe', payload: { query: UPDATES } }));
          setLive(true, 'live');
          break;
        case 'ping':
          socket.send(JSON.stringify({ type: 'pong' }));
          break;
        case 'next':
          if (message.payload && message.payload.data && message.payload.data.kpiUpdated) apply(message.payload.data.kpiUpdated);
          break;
        case 'error':
          setLive(false, 'updates refused');
          say('Live updates refused: ' + (message.payload && message.payload[0] ? message.payload[0].message : 'unknown error'), true);
          break;
        case 'complete':
          setLive(false, 'updates ended');
          break;
      }
    };
    socket.onclose = function (event) {
      if (state.socket !== socket) return;
      state.socket = null;
      if (event.code === 4401 || event.code === 4403) {
        setLive(false, 'offline');
        say('Live updates refused: ' + (event.reason || 'the token was not accepted'), true);
        return;
      }
      // Reconnecting reads the plan again, since events may have passed
      // while no socket listened.
      state.retry = Math.min(state.retry + 1, 6);
      setLive(false, 'reconnecting…');
      window.setTimeout(function () { if (!state.socket) { load().then(connect); } }, 500 * Math.pow(2, state.retry));
    };
  }

  // ---- CSV exports -------------------------------------------------------------

  function exportQuery() {
    return state.year === null ? '' : '?year=' + state.year;
  }

  // A plain link cannot carry the Authorization header, so the file is
  // fetched and handed to the browser as a download.
  function download(path, filename) {
    return window.fetch(path, { headers: { authorization: authorization() } }).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(t || r.status); });
      return r.blob();
    }).then(function (blob) {
      var a = el('a');
      a.href = URL.createObjectURL(blob);
      a.download = filename;
      document.body.appendChild(a);
      a.click();
      window.setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 10000);
    }, function (e) { say('Export failed: ' + e.message, true); });
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest('[data-export]');
    if (!link) return;
    event.preventDefault();
    var year = state.year === null ? 'plan' : String(state.year);
    if (link.getAttribute('data-export') === 'kpis') {
      download('/export/kpis.csv' + exportQuery(), 'kpis-' + year + '.csv');
    } else {
      var id = link.getAttribute('data-for');
      var by = $('export-by').value;
      var q = exportQuery();
      download('/export/kpis/' + encodeURIComponent(id) + '/breakdown.csv' + (q ? q + '&' : '?') + 'by=' + by,
        'kpi-' + id + '-' + by.toLowerCase() + '-' + year + '.csv');
    }
  });

  // ---- start -------------------------------------------------------------------

  function start() {
    if (!token()) {
      say('Paste a token to see the indicators (every signed-in role may read them).');
      return;
    }
    load().then(connect);
  }

  $('token').value = token();
  $('connect').addEventListener('click', function () {
    window.sessionStorage.setItem(TOKEN_KEY, $('token').value.trim().replace(/^Bearer\s+/i, ''));
    start();
  });
  $('token').addEventListener('keydown', function (e) { if (e.key === 'Enter') $('connect').click(); });
  $('year').addEventListener('change', function () {
    var v = $('year').value;
    state.year = v === '' ? null : parseInt(v, 10);
    if (token()) load();
  });
  start();
})();
