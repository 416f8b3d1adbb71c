// bidtrail's dashboard (docs/web.md). Each page is a shell served by
// bidtraild; this script fetches the JSON API (/api/v1/, same origin, with
// the sign-in cookie) and draws the page. It only reads. Data goes into the
// page as text (textContent), never as markup.
'use strict';

(function () {
  const page = document.body.dataset.page;
  const params = new URLSearchParams(location.search);
  // Times are shown in the viewer's zone unless the URL names one (?tz=).
  // A browser zone the server does not know falls back to UTC (api()).
  let zone = params.get('tz') || browserZone();

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    } catch (e) {
      return 'UTC';
    }
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }

  function signInAgain() {
    location.assign('/signin?refused=1&next=' + encodeURIComponent(location.pathname + location.search));
  }

  async function api(path, query) {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== '') q.append(key, value);
    }
    q.set('tz', zone);
    const response = await fetch('/api/v1/' + path + '?' + q.toString(), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      throw new ApiError('INTERNAL', path + ': the server answered ' + response.status + ' without JSON');
    }
    if (response.status === 401) {
      signInAgain();
      throw new ApiError('UNAUTHENTICATED', body.error.message);
    }
    if (!response.ok && !params.has('tz') && zone !== 'UTC' && String(body.error.message).startsWith('tz:')) {
      zone = 'UTC';
      const label = document.getElementById('zone');
      if (label) label.textContent = 'times in UTC';
      return api(path, query);
    }
    if (!response.ok) throw new ApiError(body.error.code, body.error.message);
    return body;
  }

  // Every page of a paged call (at most `limit` pages), its `field` lists
  // joined; the first page's other fields kept.
  async function apiAll(path, query, field, limit) {
    let first = null;
    let token = '';
    for (let n = 0; n < (limit || 20); n++) {
      const body = await api(path, Object.assign({}, query, { page_size: 1000, page_token: token }));
      if (first === null) {
        first = body;
        first[field] = first[field] || [];
      } else {
        first[field] = first[field].concat(body[field] || []);
      }
      token = body.next_page_token || '';
      if (!token) break;
    }
    delete first.next_page_token;
    return first;
  }

  // ------------------------------------------------------------ drawing

  // h('a', {href: '/x', class: 'y'}, 'text', child...): an element; text
  // children become text nodes.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : value);
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null) el.setAttribute(key, value);
    }
    append(el, children);
    return el;
  }

  function show(...children) {
    const main = document.getElementById('main');
    main.replaceChildren();
    append(main, children);
  }

  function ready() {
    document.body.dataset.ready = '1';
    performance.mark('bidtrail-ready');
  }

  function failed(error) {
    console.warn('bidtrail:', error);
    if (error.code === 'UNAUTHENTICATED') return;
    show(h('h1', {}, document.title.replace(/ · bidtrail$/, '')),
      h('p', { class: 'error', role: 'alert', title: error.code || '' }, error.message),
      page === 'tender' && error.code === 'NOT_FOUND'
        ? h('p', { class: 'muted' }, 'Tender ids are written as they were recorded (capitals count). The ', h('a', { href: here('/board') }, 'deadline board'),
          ' links each tender; bidtrail tender search WORDS finds one by its title or buyer.') : null);
    document.body.dataset.ready = 'error';
  }

  // ---------------------------------------------------------- formatting

  // "2026-12-07T19:16:20+08:00" (already in the page's zone): "2026-12-07 19:16".
  function when(text) {
    if (!text) return '–';
    return text.slice(0, 10) + ' ' + text.slice(11, 16);
  }

  function day(text) {
    return text ? text.slice(0, 10) : '';
  }

  // Exact: the API's rates are full precision; the page rounds for the eye.
  function pct(x, digits) {
    if (x === undefined || x === null) return '–';
    return (x * 100).toFixed(digits === undefined ? 1 : digits) + '%';
  }

  function signedPct(x) {
    if (x === undefined || x === null) return '–';
    return (x > 0 ? '+' : '') + (x * 100).toFixed(1) + '%';
  }

  // "1234567.80" → "1,234,567.80" (string grouping: no float rounding).
  function grouped(amount) {
    const text = String(amount);
    const negative = text.startsWith('-');
    const [whole, fraction] = (negative ? text.slice(1) : text).split('.');
    const digits = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return (negative ? '-' : '') + digits + (fraction !== undefined ? '.' + fraction : '');
  }

  function money(m) {
    if (!m || m.amount === undefined || m.amount === '') return '–';
    return grouped(m.amount) + (m.currency ? ' ' + m.currency : '');
  }

  function moneyList(list) {
    if (!list || list.length === 0) return '–';
    return list.map(money).join(' + ');
  }

  // Seconds as "2d 3h", "3h 10m", "12m".
  function span(seconds) {
    const abs = Math.abs(seconds);
    const d = Math.floor(abs / 86400);
    const hh = Math.floor((abs % 86400) / 3600);
    const mm = Math.floor((abs % 3600) / 60);
    if (d > 0) return d + 'd' + (hh ? ' ' + hh + 'h' : '');
    if (hh > 0) return hh + 'h' + (mm ? ' ' + mm + 'm' : '');
    return mm + 'm';
  }

  // Epoch milliseconds as a date in the page's zone.
  const dateFormat = (function () {
    try {
      return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    } catch (e) {
      return new Intl.DateTimeFormat('en-CA', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' });
    }
  })();
  function dateOf(ms) {
    return dateFormat.format(new Date(ms));
  }

  const KINDS = {
    documents_available_until: 'Documents',
    submission_deadline: 'Submission',
    bid_opening_at: 'Bid opening',
  };

  function shortType(type) {
    return String(type || '').replace(/^bidtrail\.v1\./, '');
  }

  // A link within the dashboard keeps the zone the URL chose (?tz=).
  function here(path) {
    if (!params.has('tz')) return path;
    return path + (path.includes('?') ? '&' : '?') + 'tz=' + encodeURIComponent(params.get('tz'));
  }

  function tenderLink(id, text) {
    return h('a', { href: here('/tenders/' + encodeURIComponent(id)) }, text || id);
  }

  // "bidtrail.v1.TenderDiscovered": "tender discovered".
  function typeWords(type) {
    return shortType(type).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  }

  function plural(n, word) {
    return n + ' ' + word + (n === 1 ? '' : 's');
  }

  // The URL of this page with `changes` applied (null removes a parameter).
  function withParams(changes) {
    const next = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === undefined || value === '') next.delete(key);
      else next.set(key, value);
    }
    const text = next.toString();
    return location.pathname + (text ? '?' + text : '');
  }

  // Parameters passed through to the API as they are in the page's URL.
  function passed(names) {
    const out = {};
    for (const name of names) {
      if (params.has(name)) out[name] = params.get(name);
    }
    return out;
  }

  // A select named `name` of [value, text] options, `current` chosen;
  // `attrs` adds to it (an onchange).
  function selectOf(name, options, current, attrs) {
    const select = h('select', Object.assign({ name: name }, attrs || {}));
    for (const [value, text] of options) {
      const option = h('option', { value: value }, text);
      if (value === (current || '')) option.selected = true;
      select.appendChild(option);
    }
    return select;
  }

  // A select whose choice becomes the URL parameter `name`.
  function choice(label, name, options, current) {
    return h('label', {}, label, selectOf(name, options, current, {
      onchange: (event) => location.assign(withParams({ [name]: event.target.value })),
    }));
  }

  // ---------------------------------------------------------- tables

  // A table sortable by clicking a column's heading. columns: {key, label,
  // num, value(row) (sort key, and the text unless text() is given),
  // text(row), bar (the value's share of the column's largest, drawn
  // behind it), narrow (hidden on a phone)}.
  function sortableTable(columns, rows, attrs) {
    const table = h('table', attrs || {});
    const head = h('tr');
    const body = h('tbody');
    let sortBy = null;
    let ascending = false;
    const maxima = {};
    for (const c of columns) {
      if (c.bar) maxima[c.key] = Math.max(0, ...rows.map((r) => Number(c.value(r)) || 0));
    }
    function cell(c, row) {
      const value = c.value(row);
      const text = c.text ? c.text(row) : value;
      const classes = [c.num ? 'num' : '', c.narrow ? 'hide-narrow' : '', c.bar ? 'bar' : ''].join(' ').trim();
      if (c.bar) {
        const width = maxima[c.key] > 0 ? (100 * (Number(value) || 0)) / maxima[c.key] : 0;
        return h('td', { class: classes, 'data-key': c.key },
          h('i', { style: 'width:' + width.toFixed(1) + '%' }), h('span', {}, text));
      }
      return h('td', { class: classes || null, 'data-key': c.key }, text instanceof Node ? text : String(text === undefined ? '–' : text));
    }
    function draw() {
      const sorted = rows.slice();
      if (sortBy !== null) {
        const c = columns[sortBy];
        sorted.sort((a, b) => {
          let x = c.value(a);
          let y = c.value(b);
          if (x === undefined || x === null) x = c.num ? -Infinity : '';
          if (y === undefined || y === null) y = c.num ? -Infinity : '';
          const order = c.num ? x - y : String(x).localeCompare(String(y));
          return ascending ? order : -order;
        });
      }
      body.replaceChildren(...sorted.map((row) => h('tr', {}, columns.map((c) => cell(c, row)))));
      head.querySelectorAll('th').forEach((th, i) => {
        th.classList.toggle('sorted-asc', i === sortBy && ascending);
        th.classList.toggle('sorted-desc', i === sortBy && !ascending);
      });
    }
    columns.forEach((c, i) => {
      head.appendChild(h('th', {
        class: 'sortable' + (c.num ? ' num' : '') + (c.narrow ? ' hide-narrow' : ''),
        title: 'sort',
        onclick: () => {
          ascending = sortBy === i ? !ascending : !c.num;
          sortBy = i;
          draw();
        },
      }, c.label));
    });
    table.appendChild(h('thead', {}, head));
    table.appendChild(body);
    draw();
    return h('div', { class: 'scroll' }, table);
  }

  // ------------------------------------------------- page: deadline board

  async function board() {
    const within = params.get('within') || '7d';
    // owner_team, as the API and the other pages call it (team: an alias).
    const team = params.get('owner_team') || params.get('team') || '';
    const territory = params.get('territory') || '';
    const by = params.get('by') || 'day';
    const data = await apiAll('deadlines', Object.assign({ within: within },
      passed(['as_of', 'source', 'overdue_lookback', 'stale_after'])), 'deadlines');
    const all = data.deadlines;
    const teams = [...new Set(all.map((d) => d.owner_team).concat((data.stale || []).map((t) => t.owner_team)))].filter(Boolean).sort();
    const territories = [...new Set(all.map((d) => d.territory).concat((data.stale || []).map((t) => t.territory)))].filter(Boolean).sort();
    const keep = (d) => (!team || d.owner_team === team) && (!territory || d.territory === territory);
    const deadlines = all.filter(keep);
    const stale = (data.stale || []).filter(keep);
    const now = params.has('as_of') ? Date.parse(params.get('as_of')) : Date.now();
    const atRisk = deadlines.filter((d) => d.at_risk);
    const overdue = deadlines.filter((d) => d.overdue);

    const chips = h('span', { class: 'chips' }, ['7d', '14d', '30d'].map((w) =>
      h('a', { href: withParams({ within: w }), class: w === within ? 'on' : '' }, 'next ' + w.replace('d', ' days'))));
    const controls = h('div', { class: 'controls' },
      chips,
      choice('Team', 'owner_team', [['', 'all teams']].concat(teams.map((t) => [t, t])), team),
      choice('Territory', 'territory', [['', 'all territories']].concat(territories.map((t) => [t, t])), territory),
      choice('Group by', 'by', [['day', 'day'], ['team', 'team'], ['territory', 'territory']], by));

    const summary = h('div', { class: 'summary' },
      h('div', { class: 'tile' }, h('b', { id: 'count-deadlines' }, deadlines.length), h('span', {}, 'deadlines')),
      h('div', { class: 'tile risk' }, h('b', { id: 'count-at-risk' }, atRisk.length), h('span', {}, 'at risk')),
      h('div', { class: 'tile overdue' }, h('b', { id: 'count-overdue' }, overdue.length), h('span', {}, 'overdue')),
      // The API lists at most 100 stale tenders (stale_limit).
      h('div', { class: 'tile' }, h('b', { id: 'count-stale' }, stale.length + ((data.stale || []).length >= 100 ? '+' : '')), h('span', {}, 'stale')));

    const groupKey = (d) => (by === 'team' ? d.owner_team || '(no team)' : by === 'territory' ? d.territory || '(no territory)' : day(d.due));
    const groups = new Map();
    for (const d of deadlines) {
      const key = groupKey(d);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(d);
    }
    const keys = [...groups.keys()];
    if (by !== 'day') keys.sort();
    const rows = [];
    for (const key of keys) {
      rows.push(h('tr', { class: 'group-head' }, h('td', { colspan: 8 }, key)));
      for (const d of groups.get(key)) {
        const status = d.overdue ? h('span', { class: 'badge overdue' }, 'OVERDUE')
          : d.at_risk ? h('span', { class: 'badge risk' }, 'AT RISK')
            : d.done ? h('span', { class: 'badge done' }, 'done')
              : h('span', { class: 'badge plain' }, 'open');
        const left = Date.parse(d.due) - now;
        rows.push(h('tr', {
          class: d.overdue ? 'overdue' : d.at_risk ? 'risk' : '',
          'data-tender': d.tender_id, 'data-kind': d.kind,
          'data-status': d.overdue ? 'overdue' : d.at_risk ? 'at_risk' : d.done ? 'done' : 'open',
        },
        h('td', { class: 'when due' }, when(d.due)),
        h('td', { class: 'when num hide-narrow' }, left >= 0 ? 'in ' + span(left / 1000) : span(-left / 1000) + ' ago'),
        h('td', {}, KINDS[d.kind] || d.kind),
        h('td', {}, status),
        h('td', {}, tenderLink(d.tender_id), h('div', { class: 'note' }, d.title)),
        h('td', { class: 'hide-narrow' }, d.buyer ? d.buyer.name || d.buyer.id : '',
          d.incumbent ? h('div', { class: 'note signal', title: d.incumbent.summary }, '⚑ ' + d.incumbent.summary) : null),
        h('td', { class: 'hide-narrow' }, d.owner_team),
        h('td', { class: 'hide-narrow' }, d.territory)));
      }
    }
    const table = deadlines.length === 0
      ? h('p', { class: 'muted' }, 'No deadline in the next ' + within + (team || territory ? ' for this selection' : '') + '.')
      : h('div', { class: 'scroll' }, h('table', { id: 'board' },
        h('thead', {}, h('tr', {}, ['Due', 'Left', 'Deadline', 'Status', 'Tender', 'Buyer', 'Team', 'Territory'].map((t, i) =>
          h('th', { class: i === 1 ? 'num hide-narrow' : i >= 5 ? 'hide-narrow' : null }, t)))),
        h('tbody', {}, rows)));

    const staleList = stale.length === 0 ? h('p', { class: 'muted' }, 'None: every open tender moved recently.')
      : h('table', { id: 'stale' }, h('thead', {}, h('tr', {}, h('th', {}, 'Tender'), h('th', { class: 'num' }, 'Idle'))),
        h('tbody', {}, stale.map((t) => h('tr', { 'data-tender': t.tender_id },
          h('td', {}, tenderLink(t.tender_id), h('div', { class: 'note' }, t.title + (t.owner_team ? ' · ' + t.owner_team : ''))),
          h('td', { class: 'num', title: 'last event ' + when(t.last_event_at) }, span(t.idle_seconds))))));

    show(h('h1', {}, 'Deadlines'),
      params.has('as_of') ? h('p', { class: 'banner', id: 'as-of-banner' }, 'The board as it was at ' + params.get('as_of') +
        ' (' + zone + '), not now. ', h('a', { href: withParams({ as_of: null }) }, 'Now')) : null,
      controls, summary,
      h('div', { class: 'columns' },
        h('section', {}, table),
        h('section', { class: 'panel' }, h('h2', { style: 'margin-top:0' }, 'Stale'),
          h('p', { class: 'note' }, 'Open tenders with no event for a while.'), staleList)));
  }

  // ------------------------------------------------- page: one tender

  const PHASES = {
    discovered: 'discovered', documents: 'documents', our_bid: 'our bid', opening: 'opening', award: 'award',
  };

  // The phases' times: the discovery, then each duration after the one before.
  function phaseTimes(timeline) {
    const first = (timeline.entries || []).find((e) => e.event && e.event.tender_discovered && !e.voided);
    if (!first) return [];
    let t = Date.parse(first.occurred_at);
    const out = [{ phase: 'discovered', t: t }];
    for (const d of timeline.durations || []) {
      t += (d.duration_seconds || 0) * 1000;
      out.push({ phase: d.to_phase, t: t });
    }
    return out;
  }

  // What an event says, in a line.
  function eventSummary(entry) {
    const e = entry.event || {};
    const kind = Object.keys(e)[0];
    const v = kind ? e[kind] : {};
    switch (kind) {
      case 'tender_discovered':
        return v.title + ' · ' + (v.buyer ? v.buyer.name || v.buyer.id : '') + ' · ' + money(v.estimated_value);
      case 'tender_amended': {
        const dates = Object.entries(v.key_dates || {}).filter(([, x]) => x).map(([k, x]) => (KINDS[k] || k.replace(/_/g, ' ')) + ' → ' + when(x));
        return [dates.join(', '), v.estimated_value && v.estimated_value.amount ? 'value → ' + money(v.estimated_value) : '', v.reason].filter(Boolean).join(' · ');
      }
      case 'document_obtained':
        return String(v.kind || '').replace(/_/g, ' ') + (v.obtained_by ? ' by ' + v.obtained_by : '') + (v.exception ? ' (after the cut-off, allowed by ' + v.exception_approver + ')' : '');
      case 'bid_submitted':
        return (v.bidder ? v.bidder.name || v.bidder.id : '') + ' · ' + money(v.amount) + (v.lot_id ? ' · lot ' + v.lot_id : '');
      case 'bid_withdrawn':
      case 'bid_disqualified':
        return (v.bidder ? v.bidder.name || v.bidder.id : v.bidder_id || '') + (v.reason ? ' · ' + v.reason : '');
      case 'activity_logged':
        return [String(v.kind || '').replace(/_/g, ' '), (v.contact_name || v.contact_id) ? 'with ' + (v.contact_name || 'contact ' + v.contact_id) + (v.role ? ' (' + String(v.role).replace(/_/g, ' ') + ')' : '') : '', v.notes].filter(Boolean).join(' · ');
      case 'award_announced':
        return (v.suppliers || []).map((p) => p.name || p.id).join(', ') + ' · ' + money(v.amount) + (v.lot_id ? ' · lot ' + v.lot_id : '');
      default:
        return v && v.reason ? v.reason : '';
    }
  }

  // The timeline as a picture: phases, deadlines met or missed, every event
  // and amendment on one time axis; `mark` (ms) draws "as of" there.
  function timelinePicture(timeline, mark) {
    const phases = phaseTimes(timeline);
    const now = Date.now();
    const deadlines = timeline.deadlines || [];
    const entries = (timeline.entries || []).filter((e) => e.occurred_at);
    const times = [].concat(
      phases.map((p) => p.t),
      deadlines.map((d) => Date.parse(d.due)),
      deadlines.filter((d) => d.done_at).map((d) => Date.parse(d.done_at)),
      entries.map((e) => Date.parse(e.occurred_at)),
      mark ? [mark] : []).filter((t) => !isNaN(t));
    const future = times.some((t) => t > now);
    if (times.length === 0) return null;
    let lo = Math.min(...times);
    let hi = Math.max(...times);
    if (hi - lo < 86400000) { lo -= 43200000; hi += 43200000; }
    const pad = (hi - lo) * 0.04;
    lo -= pad; hi += pad;
    const W = 1000; const left = 110; const right = 20;
    const x = (t) => left + ((t - lo) / (hi - lo)) * (W - left - right);
    const rows = { phases: 40, deadlines: 95, events: 150 };
    const H = 200;
    const svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'timeline-svg', role: 'img', 'aria-label': 'timeline', id: 'timeline-picture' });
    for (const [name, y] of Object.entries(rows)) {
      svg.appendChild(s('text', { x: 8, y: y + 4 }, name));
      svg.appendChild(s('line', { x1: left, x2: W - right, y1: y, y2: y, class: 'axis', 'stroke-dasharray': '2 3' }));
    }
    // Ticks: about six dates.
    const tick = s('g', { class: 'tick' });
    for (let i = 0; i <= 5; i++) {
      const t = lo + ((hi - lo) * i) / 5;
      tick.appendChild(s('line', { x1: x(t), x2: x(t), y1: 20, y2: 175, stroke: '#eef1f4' }));
      tick.appendChild(s('text', { x: x(t), y: 192, 'text-anchor': i === 0 ? 'start' : i === 5 ? 'end' : 'middle' }, dateOf(t)));
    }
    svg.insertBefore(tick, svg.firstChild);
    // Phases: circles joined by a line.
    // Reached phases solid; a phase still ahead (the scheduled opening)
    // hollow, its line dashed.
    const reached = phases.filter((p) => p.t <= now);
    if (reached.length > 1) {
      svg.appendChild(s('line', { x1: x(reached[0].t), x2: x(reached[reached.length - 1].t), y1: rows.phases, y2: rows.phases, stroke: '#1d4ed8', 'stroke-width': 3 }));
    }
    if (phases.length > reached.length && reached.length > 0) {
      svg.appendChild(s('line', { x1: x(reached[reached.length - 1].t), x2: x(phases[phases.length - 1].t), y1: rows.phases, y2: rows.phases, stroke: '#1d4ed8', 'stroke-width': 2, 'stroke-dasharray': '6 4' }));
    }
    phases.forEach((p, i) => {
      const ahead = p.t > now;
      const anchor = x(p.t) > W - 60 ? 'end' : x(p.t) < left + 30 ? 'start' : 'middle';
      svg.appendChild(s('circle', { cx: x(p.t), cy: rows.phases, r: 6, fill: ahead ? '#ffffff' : '#1d4ed8', stroke: '#1d4ed8', 'stroke-width': 2, 'data-phase': p.phase },
        s('title', {}, (PHASES[p.phase] || p.phase) + (ahead ? ' (scheduled) ' : ' ') + dateOf(p.t))));
      svg.appendChild(s('text', { x: x(p.t), y: rows.phases - (i % 2 ? -20 : 12), 'text-anchor': anchor }, (PHASES[p.phase] || p.phase) + (ahead ? ' (scheduled)' : '')));
    });
    // Deadlines: a diamond at the due time, green met, red missed, blue
    // open; a line from when it was done.
    deadlines.forEach((d, i) => {
      const due = Date.parse(d.due);
      const colour = d.open || d.planned ? '#1d4ed8' : d.met ? '#166534' : '#b91c1c';
      const y = rows.deadlines + (i % 2 ? 10 : -6);
      if (d.done_at) {
        svg.appendChild(s('line', { x1: x(Date.parse(d.done_at)), x2: x(due), y1: y, y2: y, stroke: colour, 'stroke-width': 2 }));
        svg.appendChild(s('circle', { cx: x(Date.parse(d.done_at)), cy: y, r: 3, fill: colour }));
      }
      const cx = x(due);
      svg.appendChild(s('path', { d: `M${cx} ${y - 7} L${cx + 7} ${y} L${cx} ${y + 7} L${cx - 7} ${y} Z`, fill: d.planned ? '#ffffff' : colour, stroke: colour, 'stroke-width': 2, 'data-deadline': d.deadline },
        s('title', {}, (KINDS[d.deadline] || d.deadline) + ' due ' + when(d.due))));
      const verdict = d.planned ? 'due' : d.open ? 'open' : (d.met ? 'met, ' : 'missed, ') + span(Math.abs(d.margin_seconds || 0)) + (d.margin_seconds >= 0 ? ' early' : ' late');
      // Near the right edge the label goes to the left of its mark.
      const rightward = cx < W - 260;
      svg.appendChild(s('text', { x: rightward ? cx + 10 : cx - 10, y: y + 4, fill: colour, 'text-anchor': rightward ? 'start' : 'end' }, (KINDS[d.deadline] || d.deadline) + ': ' + verdict));
    });
    // Events: ticks; amendments as orange triangles; voided ones grey.
    for (const e of entries) {
      const ex = x(Date.parse(e.occurred_at));
      if (e.event && e.event.tender_amended) {
        svg.appendChild(s('path', { d: `M${ex} ${rows.events - 9} L${ex + 7} ${rows.events + 5} L${ex - 7} ${rows.events + 5} Z`, fill: '#d97706', 'data-amendment': e.position },
          s('title', {}, 'amended ' + when(e.occurred_at))));
      } else {
        svg.appendChild(s('line', { x1: ex, x2: ex, y1: rows.events - 8, y2: rows.events + 8, stroke: e.voided ? '#b8c2cc' : '#334155', 'stroke-width': 2 },
          s('title', {}, typeWords(e.type) + ' ' + when(e.occurred_at) + ' by ' + e.actor)));
      }
    }
    if (mark) {
      svg.appendChild(s('line', { x1: x(mark), x2: x(mark), y1: 14, y2: 178, stroke: '#7c3aed', 'stroke-width': 2, 'stroke-dasharray': '5 3' }));
      svg.appendChild(s('text', { x: x(mark) + 4, y: 176, fill: '#7c3aed' }, 'as of'));
    } else if (future && now >= lo && now <= hi) {
      svg.appendChild(s('line', { x1: x(now), x2: x(now), y1: 14, y2: 178, stroke: '#64748b', 'stroke-width': 1.5, 'stroke-dasharray': '3 3' }));
      svg.appendChild(s('text', { x: x(now) + 4, y: 176, fill: '#64748b' }, 'now'));
    }
    return svg;
  }

  // Open while a lot is undecided; awarded once every lot is decided and one
  // at least awarded (as `bidtrail tender list` and `tender show` say).
  function statusOf(t) {
    const lots = t.lots || [];
    const decided = (l) => ['awarded', 'cancelled', 'unsuccessful'].includes(l.status);
    if (t.status === 'open' && lots.length > 0 && lots.every(decided) && lots.some((l) => l.status === 'awarded')) return 'awarded';
    return t.status;
  }

  // The picture of the tender as it stood: the events known then, its key
  // dates as they were then (no verdicts: those are known later).
  function pastPicture(view) {
    const dates = (view.tender && view.tender.details && view.tender.details.key_dates) || {};
    const deadlines = ['documents_available_until', 'submission_deadline']
      .filter((k) => dates[k]).map((k) => ({ deadline: k, due: dates[k], planned: true }));
    return { entries: view.events || [], durations: [], deadlines: deadlines };
  }

  function stateFacts(view) {
    const t = view.tender || {};
    const details = t.details || {};
    const lots = t.lots || [];
    const several = lots.length > 1;
    const lotName = (l) => (several ? 'Lot ' + (l.lot_id || '–') + (l.title ? ' ' + l.title : '') + ' (' + l.status + '): ' : '');
    const bids = [].concat(...lots.map((l) => (l.bids || []).map((b) => Object.assign({ lot: l }, b))));
    const awards = [].concat(...lots.map((l) => (l.awards || []).map((a) => Object.assign({ lot: l }, a))));
    const facts = [
      ['Status', statusOf(t) || '–'],
      ['Buyer', details.buyer ? h('span', {}, h('a', { href: here('/buyers/' + encodeURIComponent(details.buyer.id)), title: 'whom we know there, and its signals' }, details.buyer.name || details.buyer.id), details.buyer.name ? h('div', { class: 'note' }, details.buyer.id) : null) : '–'],
      ['Territory · team', (details.territory || '–') + ' · ' + (details.owner_team || '–')],
      ['Estimated value', money(details.estimated_value)],
      ['Documents', t.documents_obtained ? 'obtained' + (t.documents_exception ? ' (after the cut-off)' : '') : 'not obtained'],
      ['Bids', bids.length === 0 ? 'none' : h('ul', { class: 'plain' }, bids.map((b) => h('li', { class: b.ours ? 'ours' : null },
        lotName(b.lot) + (b.bid.bidder.name || b.bid.bidder.id) + (b.ours ? ' (us)' : '') + ': ' + money(b.bid.amount) + (b.status !== 'valid' ? ' (' + b.status + ')' : ''))))],
      ['Award', awards.length === 0 ? 'none' : h('ul', { class: 'plain' }, awards.map((a) => h('li', {},
        lotName(a.lot) + (a.award.suppliers || []).map((p) => p.name || p.id).join(', ') + ': ' + money(a.award.amount) + (a.cancelled ? ' (cancelled: ' + (a.cancel_reason || 'no reason given') + ')' : ''))))],
      ['Amendments', String(t.amendment_count || 0)],
      ['Last event', when(t.last_event_at)],
    ];
    if (t.no_bid_decided) facts.splice(4, 0, ['Decision', 'no bid']);
    return h('dl', { class: 'facts', id: 'state' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === undefined ? '–' : v)]));
  }

  function eventTable(tender, entries) {
    return h('div', { class: 'scroll' }, h('table', { id: 'events' },
      h('thead', {}, h('tr', {}, ['Rev.', 'Event', 'Happened', 'Recorded', 'By', 'What', ''].map((t, i) =>
        h('th', { class: i === 3 || i === 6 ? 'hide-narrow' : null }, t)))),
      h('tbody', {}, entries.map((e) => {
        const marks = [];
        if (e.late) marks.push(h('div', { class: 'note' }, h('span', { class: 'badge risk' }, 'recorded late'), ' approved by ' + e.late.approver + ': ' + e.late.reason));
        if (e.voided) marks.push(h('div', { class: 'note' }, h('span', { class: 'badge missed' }, 'voided'), ' by ' + e.voided.actor + ': ' + e.voided.reason));
        return h('tr', { 'data-position': e.position, style: e.voided ? 'text-decoration: line-through; color: #9aa5b1' : null },
          h('td', { class: 'num' }, e.revision),
          h('td', {}, typeWords(e.type)),
          h('td', { class: 'when' }, when(e.occurred_at)),
          h('td', { class: 'when hide-narrow' }, when(e.recorded_at)),
          h('td', {}, e.actor + (e.written_by ? ' (via ' + e.written_by + ')' : '')),
          h('td', {}, eventSummary(e), marks),
          h('td', { class: 'hide-narrow' }, h('a', { href: '/tenders/' + encodeURIComponent(tender) + '?position=' + e.position, title: 'the tender as the log held it at this event' }, 'as it stood')));
      }))));
  }

  async function tender() {
    const id = document.body.dataset.tender;
    const position = params.get('position');
    const asOf = params.get('as_of');
    // "recorded": what the log held then (the audit); "happened": what had
    // happened by then, as the log knows it now (facts recorded late too).
    const basis = params.get('basis') === 'happened' ? 'happened' : 'recorded';
    const past = position || asOf;
    const asOfQuery = position ? { position: position }
      : asOf && basis === 'happened' ? { occurred_by: asOf }
        : { recorded_at: asOf || new Date().toISOString() };
    const [timeline, view] = await Promise.all([
      api('tenders/' + encodeURIComponent(id) + '/timeline'),
      // Before its first event the tender was not in the log: NOT_FOUND.
      api('tenders/' + encodeURIComponent(id) + '/as_of', asOfQuery).catch((error) => {
        if (past && error.code === 'NOT_FOUND') return { tender: null, events: [], missing: error.message };
        throw error;
      }),
    ]);
    const details = (view.tender && view.tender.details) || {};
    const mark = position && view.events.length ? Date.parse(view.events[view.events.length - 1].occurred_at)
      : asOf ? Date.parse(asOf) : null;
    const form = h('form', { class: 'controls', method: 'get', action: '/tenders/' + encodeURIComponent(id) },
      h('label', {}, 'As it stood on', h('input', { type: 'date', name: 'as_of', value: asOf ? asOf.slice(0, 10) : '', required: true })),
      h('label', {}, 'By', selectOf('basis', [['recorded', 'what was recorded then'], ['happened', 'what had happened then']], basis)),
      h('button', { type: 'submit' }, 'Show'),
      past ? h('a', { href: '/tenders/' + encodeURIComponent(id) }, 'back to now') : null);
    const deadlineRows = (timeline.deadlines || []).map((d) => h('tr', { 'data-deadline': d.deadline },
      h('td', {}, KINDS[d.deadline] || d.deadline),
      h('td', { class: 'when' }, when(d.due)),
      h('td', { class: 'when hide-narrow' }, when(d.done_at)),
      h('td', {}, h('span', { class: 'badge ' + (d.open ? 'open' : d.met ? 'met' : 'missed') }, d.open ? 'open' : d.met ? 'met' : 'missed')),
      h('td', { class: 'num' }, d.open ? (d.margin_seconds >= 0 ? span(d.margin_seconds) + ' left' : span(-d.margin_seconds) + ' past') : span(Math.abs(d.margin_seconds || 0)) + (d.margin_seconds >= 0 ? ' early' : ' late')),
      h('td', { class: 'hide-narrow' }, d.approved_late_by ? 'recorded late, approved by ' + d.approved_late_by : '')));
    show(
      h('h1', {}, details.title || id),
      h('p', { class: 'muted' }, id, timeline.time_zone ? ' · the tender\'s zone ' + timeline.time_zone : '',
        timeline.in_pipeline ? '' : ' · market intelligence (imported; not in our pipeline)',
        ' · ', h('a', { href: '/board' }, 'deadline board')),
      timeline.incumbent ? h('p', { class: 'banner signal', id: 'incumbent' }, '⚑ The buyer: ' + timeline.incumbent.summary + '.') : null,
      past ? h('p', { class: 'banner', id: 'as-of-banner' },
        'As it stood ' + (position ? 'at log position ' + position : 'on ' + asOf) + ': ' + view.events.length + ' of ' + timeline.entries.length + ' events ' +
        (basis === 'happened' && !position ? 'had happened by then.' : 'were recorded by then.') +
        (view.missing ? ' The tender was not in the log yet.' : '')) : null,
      h('div', { class: 'scroll picture' }, timelinePicture(past ? pastPicture(view) : timeline, mark)),
      h('div', { class: 'columns' },
        h('section', {}, h('h2', {}, past ? 'Deadlines, as they turned out' : 'Deadlines'),
          (timeline.deadlines || []).length === 0 ? h('p', { class: 'muted' }, 'No deadline outcome (not in our pipeline).')
            : h('div', { class: 'scroll' }, h('table', { id: 'deadlines' }, h('thead', {}, h('tr', {}, ['Deadline', 'Due', 'Done', '', 'Margin', ''].map((t, i) => h('th', { class: i === 2 || i === 5 ? 'hide-narrow' : null }, t)))), h('tbody', {}, deadlineRows)))),
        h('section', { class: 'panel' }, h('h2', { style: 'margin-top:0' }, past ? 'State then' : 'State now'), stateFacts(view), form)),
      h('h2', {}, !past ? 'Events' : basis === 'happened' && !position ? 'Events that had happened by then' : 'Events recorded by then', ' ', h('span', { class: 'note' }, '(' + plural(timeline.amendment_count, 'amendment') + ')')),
      eventTable(id, past ? view.events : timeline.entries));
  }

  // ------------------------------------------------- page: win/loss

  const FILTERS = ['from', 'to', 'territory', 'owner_team', 'buyer_id', 'category', 'source', 'bidder_id', 'reporting.currency'];

  function quarterStart(label) {
    const m = /^(\d{4})-Q([1-4])$/.exec(label);
    return m ? Date.UTC(Number(m[1]), (Number(m[2]) - 1) * 3, 1) / 1000 : null;
  }

  function winRateChart(quarters) {
    const rows = quarters.filter((g) => quarterStart(g.group) !== null).sort((a, b) => quarterStart(a.group) - quarterStart(b.group));
    const holder = h('div', { class: 'chart', id: 'winrate-chart' });
    if (rows.length === 0 || typeof uPlot === 'undefined') {
      holder.appendChild(h('p', { class: 'muted' }, 'No quarter with competitions in this selection.'));
      return holder;
    }
    const data = [
      rows.map((g) => quarterStart(g.group)),
      rows.map((g) => (g.win_rate === undefined ? null : g.win_rate * 100)),
      rows.map((g) => g.won + g.lost),
    ];
    const labels = new Map(rows.map((g) => [quarterStart(g.group), g.group]));
    const opts = {
      width: 600,
      height: 280,
      scales: { x: { time: false, range: (u, lo, hi) => [lo - 45 * 86400, hi + 45 * 86400] }, '%': { range: [0, 100] }, n: { range: (u, lo, hi) => [0, Math.max(1, hi) * 1.15] } },
      axes: [
        { values: (u, ticks) => ticks.map((t) => labels.get(t) || ''), splits: () => data[0] },
        { scale: '%', values: (u, ticks) => ticks.map((t) => t + '%'), label: 'win rate' },
        { scale: 'n', side: 1, grid: { show: false }, label: 'decided', values: (u, ticks) => ticks.map((t) => (Number.isInteger(t) ? t : '')) },
      ],
      series: [
        { label: 'quarter', value: (u, v) => labels.get(v) || '' },
        { label: 'win rate', scale: '%', stroke: '#1d4ed8', width: 2, points: { size: 7 }, value: (u, v) => (v === null ? '–' : v.toFixed(1) + '%') },
        { label: 'decided (won + lost)', scale: 'n', stroke: '#93c5fd', fill: 'rgba(147,197,253,0.35)', paths: uPlot.paths.bars({ size: [0.5, 60] }), points: { show: false } },
      ],
    };
    // The chart is drawn once the holder is in the page, at its width.
    setTimeout(() => {
      opts.width = Math.max(280, holder.clientWidth - 16);
      const chart = new uPlot(opts, data, holder);
      window.addEventListener('resize', () => chart.setSize({ width: Math.max(280, holder.clientWidth - 16), height: 280 }));
    }, 0);
    return holder;
  }

  function groupColumns(name, labelOf) {
    return [
      { key: 'group', label: name, value: (g) => labelOf(g), text: (g) => labelOf(g) },
      { key: 'bid', label: 'bid', num: true, value: (g) => g.bid },
      { key: 'won', label: 'won', num: true, value: (g) => g.won },
      { key: 'lost', label: 'lost', num: true, value: (g) => g.lost },
      { key: 'pending', label: 'pending', num: true, narrow: true, value: (g) => g.pending },
      { key: 'win_rate', label: 'win rate', num: true, bar: true, value: (g) => g.win_rate, text: (g) => pct(g.win_rate) },
      { key: 'value_won', label: 'value won', num: true, narrow: true, value: (g) => (g.value_won_converted ? Number(g.value_won_converted.amount) : 0), text: (g) => (g.value_won_converted ? money(g.value_won_converted) : moneyList(g.value_won)) },
      { key: 'median_price_gap', label: 'median price gap', num: true, narrow: true, value: (g) => g.median_price_gap, text: (g) => signedPct(g.median_price_gap) },
    ];
  }

  // The filters as a form; applied, the URL holds the ones set (a view is
  // shared as a link). `territories`: the groups to offer, null for a box.
  function winlossForm(filters, territories, reportingCurrency) {
    const territory = territories === null
      ? h('input', { name: 'territory', value: filters.territory || '', placeholder: 'any', size: 10 })
      : (() => {
        const names = territories.map((g) => g.group);
        if (filters.territory && !names.includes(filters.territory)) names.push(filters.territory);
        return selectOf('territory', [['', 'all']].concat(names.map((n) => [n, n])), filters.territory);
      })();
    const source = selectOf('source', [['', 'all'], ['own', 'own records'], ['import', 'imported']], filters.source);
    const form = h('form', { class: 'controls', method: 'get', action: '/winloss' },
      h('label', {}, 'From', h('input', { type: 'date', name: 'from', value: (filters.from || '').slice(0, 10) })),
      h('label', {}, 'To (before)', h('input', { type: 'date', name: 'to', value: (filters.to || '').slice(0, 10) })),
      h('label', {}, 'Territory', territory),
      h('label', {}, 'Team', h('input', { name: 'owner_team', value: filters.owner_team || '', placeholder: 'any', size: 12 })),
      h('label', {}, 'Source', source),
      h('label', {}, 'Currency', h('input', { name: 'reporting.currency', value: filters['reporting.currency'] || '', placeholder: reportingCurrency || 'USD', size: 5, class: 'upper' })),
      filters.buyer_id ? h('input', { type: 'hidden', name: 'buyer_id', value: filters.buyer_id }) : null,
      filters.bidder_id ? h('input', { type: 'hidden', name: 'bidder_id', value: filters.bidder_id }) : null,
      params.has('name') ? h('input', { type: 'hidden', name: 'name', value: params.get('name') }) : null,
      params.has('tz') ? h('input', { type: 'hidden', name: 'tz', value: params.get('tz') }) : null,
      h('button', { type: 'submit' }, 'Apply'),
      h('a', { href: here('/winloss') }, 'clear'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const next = new URLSearchParams();
      for (const [key, value] of new FormData(form)) {
        const text = String(value).trim();
        if (text) next.set(key, key === 'reporting.currency' ? text.toUpperCase() : text);
      }
      location.assign('/winloss' + (next.toString() ? '?' + next.toString() : ''));
    });
    return form;
  }

  async function winloss() {
    const filters = passed(FILTERS);
    // Whose record, and for which buyer: named as the linking page knew them.
    const named = params.get('name');
    const title = 'Win/loss' + (filters.bidder_id ? ' of ' + (named || filters.bidder_id) : '');
    const by = (group) => apiAll('winloss', Object.assign({ group_by: group }, filters), 'groups');
    let answers;
    try {
      answers = await Promise.all([
        api('winloss', filters), by('quarter'), by('competitor'), by('territory'), by('deal_size'), by('customer_segment')]);
    } catch (error) {
      // A filter the server refuses: said above the form, to be put right.
      if (error.code === 'UNAUTHENTICATED') throw error;
      show(h('h1', {}, title), winlossForm(filters, null, ''),
        h('p', { class: 'error', role: 'alert' }, error.message));
      document.body.dataset.ready = 'error';
      return;
    }
    const [all, quarters, competitors, territories, sizes, segments] = answers;
    const total = (all.groups || [])[0] || { bid: 0, won: 0, lost: 0, pending: 0 };
    const form = winlossForm(filters, territories.groups, all.reporting_currency);
    const who = all.bidder_id === 'us' || !filters.bidder_id ? 'us' : all.bidder_id;
    const quarterRows = quarters.groups.slice().sort((a, b) => (a.group < b.group ? -1 : 1));
    show(
      h('h1', {}, title),
      form,
      filters.buyer_id ? h('p', { class: 'muted' }, 'Buyer ' + (named || filters.buyer_id) + ' only · ', h('a', { href: withParams({ buyer_id: null, name: null }) }, 'all buyers')) : null,
      h('div', { class: 'summary' },
        h('div', { class: 'tile' }, h('b', { id: 'total-win-rate', 'data-value': total.win_rate === undefined ? '' : total.win_rate }, pct(total.win_rate)), h('span', {}, 'win rate (' + who + ')')),
        h('div', { class: 'tile' }, h('b', {}, total.won), h('span', {}, 'won')),
        h('div', { class: 'tile' }, h('b', {}, total.lost), h('span', {}, 'lost')),
        h('div', { class: 'tile' }, h('b', {}, total.pending), h('span', {}, 'pending')),
        h('div', { class: 'tile' }, h('b', {}, total.value_won_converted ? money(total.value_won_converted) : moneyList(total.value_won)), h('span', {}, 'value won'))),
      (all.currencies_without_rate || []).length ? h('p', { class: 'note' }, 'No rate into ' + all.reporting_currency + ' for ' + all.currencies_without_rate.join(', ') + ': those amounts are shown apart.') : null,
      h('h2', {}, 'Win rate by quarter'),
      winRateChart(quarters.groups),
      sortableTable(groupColumns('quarter', (g) => g.group + (quarterStart(g.group) !== null && Date.now() / 1000 < quarterStart(g.group) + 92 * 86400 && Date.now() / 1000 >= quarterStart(g.group) ? ' (so far)' : '')), quarterRows, { id: 'by-quarter' }),
      h('h2', {}, 'Where we met each competitor'),
      h('p', { class: 'note' }, 'Our record in the competitions each competitor also bid in: won, lost (to anyone), our win rate there.'),
      sortableTable(groupColumns('competitor', (g) => g.label || g.group), competitors.groups, { id: 'by-competitor' }),
      h('h2', {}, 'By territory'),
      sortableTable(groupColumns('territory', (g) => g.group), territories.groups, { id: 'by-territory' }),
      h('h2', {}, 'By deal size'),
      sortableTable(groupColumns('deal size', (g) => g.group), sizes.groups, { id: 'by-deal-size' }),
      h('h2', {}, 'By customer segment'),
      sortableTable(groupColumns('segment', (g) => g.group), segments.groups, { id: 'by-segment' }),
      h('p', { class: 'note' }, 'Win rate = won / (won + lost); values in ' + (all.reporting_currency || 'the reporting currency') + '. The same numbers: /api/v1/winloss with these parameters.'));
  }

  // ------------------------------------------------- page: nine-grid

  const POTENTIALS = ['large', 'medium', 'small'];
  const BANDS = ['growth', 'development', 'consolidation'];

  // Red (0 %) to green (100 %); grey where nothing was decided.
  function heat(rate) {
    if (rate === undefined || rate === null) return '#eef1f4';
    return 'hsl(' + Math.round(rate * 120) + ', 70%, ' + (88 - rate * 18).toFixed(0) + '%)';
  }

  async function segments() {
    const data = await api('segments', passed(['as_of', 'window', 'bidder_id', 'reporting.currency', 'source',
      'thresholds.medium_potential_from', 'thresholds.large_potential_from', 'thresholds.development_share_from',
      'thresholds.consolidation_share_from', 'thresholds.currency']));
    const selected = params.get('cell') || '';
    const cells = new Map((data.cells || []).map((c) => [c.potential + '/' + c.share_band, c]));
    const grid = h('div', { class: 'grid9', id: 'nine-grid' });
    grid.appendChild(h('div', { class: 'axis-label' }, 'potential ↓ · our share →'));
    for (const band of BANDS) grid.appendChild(h('div', { class: 'axis-label' }, band));
    for (const potential of POTENTIALS) {
      grid.appendChild(h('div', { class: 'axis-label' }, potential));
      for (const band of BANDS) {
        const key = potential + '/' + band;
        const c = cells.get(key) || { buyers: 0, won: 0, lost: 0 };
        grid.appendChild(h('button', {
          class: 'cell' + (key === selected ? ' selected' : ''),
          style: 'background:' + heat(c.win_rate),
          'data-cell': key, 'data-buyers': c.buyers,
          title: potential + ' potential, ' + band + ' (our share)',
          onclick: () => location.assign(withParams({ cell: key === selected ? null : key })),
        }, h('b', {}, c.buyers), h('span', {}, c.buyers === 1 ? 'buyer' : 'buyers'),
        h('span', {}, 'won ' + c.won + ' · lost ' + c.lost), h('span', {}, 'win rate ' + pct(c.win_rate))));
      }
    }
    const buyers = (data.buyers || []).filter((b) => !selected || b.potential + '/' + b.share_band === selected);
    const currency = data.reporting_currency || '';
    const list = sortableTable([
      { key: 'buyer', label: 'buyer', value: (b) => b.buyer.name || b.buyer.id, text: (b) => h('a', { href: here('/winloss?buyer_id=' + encodeURIComponent(b.buyer.id) + (b.buyer.name ? '&name=' + encodeURIComponent(b.buyer.name) : '')) }, b.buyer.name || b.buyer.id) },
      { key: 'cell', label: 'cell', narrow: true, value: (b) => b.potential + ' · ' + b.share_band },
      { key: 'awarded', label: 'awarded (' + currency + ')', num: true, bar: true, value: (b) => Number(b.awarded_value), text: (b) => grouped(b.awarded_value) },
      { key: 'ours', label: 'to us', num: true, narrow: true, value: (b) => Number(b.our_awarded_value), text: (b) => grouped(b.our_awarded_value) },
      { key: 'share', label: 'our share', num: true, value: (b) => b.share, text: (b) => pct(b.share) },
    ], buyers.sort((a, b) => Number(b.awarded_value) - Number(a.awarded_value)), { id: 'segment-buyers' });
    show(h('h1', {}, 'Customer segments'),
      h('p', { class: 'muted' }, 'Each buyer by its purchase potential (its awarded value over the ' + (params.get('window') || '365d') +
        ' to ' + (params.get('as_of') || 'now') + ', in ' + (data.reporting_currency || 'the reporting currency') + ') and our share of it; colour: our win rate. Click a cell for its buyers.'),
      grid,
      data.unconverted_awards ? h('p', { class: 'note' }, data.unconverted_awards + ' awards left out for want of a rate (' + (data.currencies_without_rate || []).join(', ') + ').') : null,
      h('h2', {}, selected ? 'Buyers in ' + selected.replace('/', ' · ') + ' ' : 'Buyers ', selected ? h('a', { href: withParams({ cell: null }) }, '(all)') : null),
      buyers.length === 0 ? h('p', { class: 'muted' }, 'No buyer in this cell.') : list);
  }

  // ------------------------------------------------- page: competitors

  async function competitors() {
    const data = await api('competitors', passed(['bidder_id', 'from', 'to', 'source']));
    const rows = data.competitors || [];
    show(h('h1', {}, 'Competitors' + (data.bidder_id && data.bidder_id !== 'us' ? ' of ' + data.bidder_id : '')),
      h('p', { class: 'muted' }, 'Everyone who bid where we bid: how often, who won, and how their prices compare with ours.'),
      sortableTable([
        { key: 'competitor', label: 'competitor', value: (c) => c.competitor.name || c.competitor.id, text: (c) => h('span', {}, h('a', { href: here('/winloss?bidder_id=' + encodeURIComponent(c.competitor.id) + (c.competitor.name ? '&name=' + encodeURIComponent(c.competitor.name) : '')), title: 'their own record' }, c.competitor.name || c.competitor.id), h('div', { class: 'note' }, c.competitor.id)) },
        { key: 'met', label: 'met', num: true, bar: true, value: (c) => c.met },
        { key: 'their_wins', label: 'their wins', num: true, value: (c) => c.their_wins },
        { key: 'our_wins', label: 'our wins', num: true, value: (c) => c.our_wins },
        { key: 'head', label: 'of the two, we won', num: true, narrow: true, value: (c) => (c.our_wins + c.their_wins ? c.our_wins / (c.our_wins + c.their_wins) : null), text: (c) => pct(c.our_wins + c.their_wins ? c.our_wins / (c.our_wins + c.their_wins) : null) },
        { key: 'price', label: 'their price vs ours', num: true, value: (c) => c.mean_price_difference, text: (c) => signedPct(c.mean_price_difference) },
      ], rows, { id: 'competitors' }),
      h('p', { class: 'note' }, 'Met: competitions where both of us bid. Their wins, our wins: those that one of us won (others won the rest). Of the two, we won: our wins / (our wins + their wins). Their price vs ours: the mean of (their bid − our bid) / our bid where both bid in one currency; negative: they bid lower. A competitor clicked: their own record.'));
  }

  // ------------------------------------------------- page: weekly review

  // A simple GET form: the fields named, kept in the URL.
  function filterForm(action, fields) {
    const form = h('form', { class: 'controls', method: 'get', action: action }, ...fields,
      params.has('tz') ? h('input', { type: 'hidden', name: 'tz', value: params.get('tz') }) : null,
      h('button', { type: 'submit' }, 'Apply'), h('a', { href: here(action) }, 'clear'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const next = new URLSearchParams();
      for (const [key, value] of new FormData(form)) {
        const text = String(value).trim();
        if (text) next.set(key, text);
      }
      location.assign(action + (next.toString() ? '?' + next.toString() : ''));
    });
    return form;
  }

  function reviewItems(title, id, items) {
    return h('section', {}, h('h2', {}, title),
      (items || []).length === 0 ? h('p', { class: 'muted' }, 'None.')
        : h('div', { class: 'scroll' }, h('table', { id: id },
          h('thead', {}, h('tr', {}, ['Tender', 'Stage', 'What', 'When', 'Representative'].map((t, i) => h('th', { class: i === 4 ? 'hide-narrow' : null }, t)))),
          h('tbody', {}, items.map((item) => h('tr', { 'data-tender': item.tender_id },
            h('td', {}, tenderLink(item.tender_id), h('div', { class: 'note' }, item.title)),
            h('td', {}, item.stage), h('td', {}, (item.what || []).join(', ')),
            h('td', { class: 'when' }, when(item.at)), h('td', { class: 'hide-narrow' }, item.representative)))))));
  }

  async function review() {
    const query = passed(['week', 'owner_team', 'representative', 'currency', 'happened']);
    query.time_zone = zone;
    const data = await api('review', query);
    const groups = data.groups || [];
    const currency = data.currency || '';
    const sum = (g, field) => (g.pipeline || []).reduce((total, stage) => total + Number(stage[field] || 0), 0);
    const amount = (text) => (text === undefined || text === '' ? '–' : grouped(Number(text).toFixed(2)));
    const form = filterForm('/review', [
      h('label', {}, 'Week', h('input', { name: 'week', value: params.get('week') || data.week, size: 9, placeholder: '2026-W49' })),
      h('label', {}, 'Team', h('input', { name: 'owner_team', value: params.get('owner_team') || '', placeholder: 'all', size: 12 })),
      h('label', {}, 'Representative', h('input', { name: 'representative', value: params.get('representative') || '', placeholder: 'all', size: 12 })),
      h('label', {}, 'By', selectOf('happened', [['', 'what the log held then'], ['true', 'what had happened by then']], params.get('happened') || '')),
    ]);
    const table = sortableTable([
      { key: 'name', label: 'team / representative', value: (g) => g.name, text: (g) => h('span', {}, g.kind === 'all' ? h('b', {}, 'everyone') :
        h('a', { href: withParams(g.kind === 'team' ? { owner_team: g.name, representative: null } : { representative: g.name, owner_team: null }) }, g.name),
      h('div', { class: 'note' }, g.kind)) },
      { key: 'moved', label: 'new · docs · bids', num: true, narrow: true, value: (g) => (g.new_tenders || 0) + (g.documents || 0) + (g.bids || 0), text: (g) => (g.new_tenders || 0) + ' · ' + (g.documents || 0) + ' · ' + (g.bids || 0) },
      { key: 'won', label: 'won · lost', num: true, value: (g) => g.won || 0, text: (g) => (g.won || 0) + ' · ' + (g.lost || 0) },
      { key: 'stale', label: 'stale', num: true, value: (g) => g.stale || 0 },
      { key: 'due', label: 'due next week', num: true, value: (g) => g.deadlines_next_week || 0 },
      { key: 'pipeline', label: 'pipeline', num: true, bar: true, value: (g) => sum(g, 'value'), text: (g) => amount(sum(g, 'value')) },
      { key: 'weighted', label: 'weighted', num: true, narrow: true, value: (g) => sum(g, 'weighted_value'), text: (g) => amount(sum(g, 'weighted_value')) },
      { key: 'won_value', label: 'won this quarter', num: true, value: (g) => Number(g.won_value || 0), text: (g) => amount(g.won_value) },
      { key: 'quota', label: 'quota', num: true, value: (g) => (g.quota ? Number(g.quota) : null), text: (g) => amount(g.quota) },
      { key: 'attainment', label: 'attained', num: true, value: (g) => g.attainment, text: (g) => pct(g.attainment) },
      { key: 'forecast', label: 'forecast', num: true, value: (g) => Number(g.forecast || 0), text: (g) => amount(g.forecast) + (g.forecast_attainment !== undefined ? ' (' + pct(g.forecast_attainment) + ')' : '') },
    ], groups, { id: 'review' });
    const filtered = params.get('representative') || params.get('owner_team');
    const chosen = filtered ? groups.find((g) => g.name === filtered && g.kind !== 'all') || groups[groups.length - 1] : null;
    const stages = chosen ? h('section', {}, h('h2', {}, 'Pipeline by stage'),
      h('table', { id: 'stages' }, h('thead', {}, h('tr', {}, ['Stage', 'Tenders', 'Value', 'Win rate', 'Weighted'].map((t, i) => h('th', { class: i ? 'num' : null }, t)))),
        h('tbody', {}, (chosen.pipeline || []).map((stage) => h('tr', {},
          h('td', {}, stage.stage), h('td', { class: 'num' }, String(stage.tenders || 0)), h('td', { class: 'num' }, amount(stage.value)),
          h('td', { class: 'num', title: stage.history ? 'from ' + stage.history + ' closed tenders (' + stage.history_of + ')' : 'no closed tender yet' }, pct(stage.win_rate)),
          h('td', { class: 'num' }, amount(stage.weighted_value))))))) : null;
    show(h('h1', {}, 'Weekly review ' + data.week),
      h('p', { class: 'muted' }, (data.happened ? 'By what had happened by ' : 'As the log held it at ') + when(data.as_of) + ' · quarter ' + data.quarter + (currency ? ' · values in ' + currency : '') +
        ' · weighted: each open tender\'s value times the win rate of tenders that reached its stage'),
      form,
      groups.length <= 1 && !(groups[0] && (groups[0].pipeline || []).some((st) => st.tenders)) && !data.happened
        ? h('p', { class: 'banner' }, 'Nothing of the pipeline was recorded by then. ', h('a', { href: withParams({ happened: 'true' }) }, 'Review it by what had happened'), ' (history entered or imported afterwards).') : null,
      h('div', { class: 'scroll' }, table),
      data.unconverted ? h('p', { class: 'note' }, data.unconverted + ' values left out for want of a rate (' + (data.currencies_without_rate || []).join(', ') + ').') : null,
      chosen ? h('div', {}, stages, reviewItems('Moved this week', 'moved', chosen.moved), reviewItems('Stale', 'stale-tenders', chosen.stale_tenders),
        reviewItems('Due next week', 'next-week', chosen.next_week))
        : h('p', { class: 'note' }, 'A team or representative clicked: its pipeline by stage and the tenders behind the figures.'));
  }

  // ------------------------------------------------------- page: signals

  const SIGNAL_WORDS = {
    single_bid: 'single bid', short_submission_period: 'short submission period',
    price_close_to_winning_bid: 'price close to the winning bid', identical_bid_prices: 'identical bid prices',
    late_bid_won: 'late bid won', all_other_bids_disqualified: 'all other bids disqualified',
    lowest_bid_disqualified: 'lowest bid disqualified',
  };

  async function signals() {
    const query = passed(['buyer_id', 'from', 'to', 'source', 'top', 'short_period_days']);
    const data = await api('signals', query);
    const buyers = data.buyers || [];
    const suppliers = data.suppliers || [];
    const one = params.get('buyer_id') ? buyers[0] : null;
    const supplierTable = suppliers.length === 0 ? null : h('section', {}, h('h2', {}, 'Suppliers that win with one buyer only'),
      sortableTable([
        { key: 'supplier', label: 'supplier', value: (x) => x.supplier.name || x.supplier.id, text: (x) => h('span', {}, x.supplier.name || x.supplier.id, h('div', { class: 'note' }, x.supplier.id)) },
        { key: 'awards', label: 'awards', num: true, value: (x) => x.awards },
        { key: 'buyer', label: 'buyer', value: (x) => x.buyer.name || x.buyer.id, text: (x) => h('a', { href: withParams({ buyer_id: x.buyer.id }) }, x.buyer.name || x.buyer.id) },
      ], suppliers, { id: 'suppliers' }));
    if (one) {
      const facts = [
        ['Competitions', String(one.competitions || 0)],
        ['Single bid', (one.single_bid || 0) + ' of ' + (one.competitive || 0) + ' competitive (' + pct(one.single_bid_rate) + ')'],
        ['Awards', (one.awards || 0) + (one.awarded_value ? ' · ' + grouped(one.awarded_value) + ' ' + one.currency : '')],
        ['Top supplier', one.top_supplier ? (one.top_supplier.name || one.top_supplier.id) + ' · ' + pct(one.top_supplier_share) + ' of the value' : '–'],
        ['Incumbent', one.incumbent ? one.incumbent.summary : 'none'],
      ];
      show(h('h1', {}, 'Signals of ' + (one.buyer.name || one.buyer.id)),
        h('p', { class: 'muted' }, one.buyer.id, ' · ', h('a', { href: withParams({ buyer_id: null }) }, 'all buyers'),
          ' · ', h('a', { href: here('/buyers/' + encodeURIComponent(one.buyer.id)) }, 'whom we know there'), ' · ', h('a', { href: here('/winloss?buyer_id=' + encodeURIComponent(one.buyer.id)) }, 'our win/loss here')),
        h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]).flat()),
        h('h2', {}, 'Flagged competitions'),
        (data.signals || []).length === 0 ? h('p', { class: 'muted' }, 'No flag.')
          : h('div', { class: 'scroll' }, h('table', { id: 'signals' }, h('thead', {}, h('tr', {}, ['Date', 'Tender', 'Signal', 'What was seen'].map((t) => h('th', {}, t)))),
            h('tbody', {}, data.signals.map((x) => h('tr', { 'data-tender': x.tender_id },
              h('td', { class: 'when' }, day(x.date)), h('td', {}, tenderLink(x.tender_id), x.lot_id ? h('div', { class: 'note' }, 'lot ' + x.lot_id) : null),
              h('td', {}, SIGNAL_WORDS[x.kind] || x.kind), h('td', {}, x.detail)))))),
        supplierTable);
      return;
    }
    show(h('h1', {}, 'Signals: is it wired?'),
      h('p', { class: 'muted' }, 'Buyers with the most flagged competitions: single bids, short submission periods, prices close to the winner\'s, identical prices, late bids that won, disqualifications. A flag is a reason to look, not a verdict.'),
      sortableTable([
        { key: 'buyer', label: 'buyer', value: (b) => b.buyer.name || b.buyer.id, text: (b) => h('span', {}, h('a', { href: withParams({ buyer_id: b.buyer.id }) }, b.buyer.name || b.buyer.id), h('div', { class: 'note' }, b.incumbent ? '⚑ ' + b.incumbent.summary : b.buyer.id)) },
        { key: 'flagged', label: 'flagged', num: true, bar: true, value: (b) => b.flagged_competitions || 0 },
        { key: 'competitions', label: 'competitions', num: true, narrow: true, value: (b) => b.competitions || 0 },
        { key: 'single', label: 'single bid', num: true, value: (b) => b.single_bid_rate, text: (b) => pct(b.single_bid_rate) },
        { key: 'top', label: 'top supplier\'s share', num: true, value: (b) => b.top_supplier_share, text: (b) => pct(b.top_supplier_share) },
      ], buyers, { id: 'signal-buyers' }),
      supplierTable);
  }

  // -------------------------------------------- page: a buyer's notebook

  async function buyer() {
    const id = document.body.dataset.tender;
    const settle = (promise) => promise.then((value) => ({ value }), (error) => {
      if (error.code === 'UNAUTHENTICATED') throw error;
      return { error };
    });
    const [coverage, contacts, flags] = await Promise.all([
      settle(api('buyers/' + encodeURIComponent(id) + '/coverage', {})),
      settle(api('contacts', { buyer_id: id, include_inactive: 'true' })),
      settle(api('signals', { buyer_id: id }))]);
    const refused = (answer) => h('p', { class: 'muted' }, answer.error.code === 'PERMISSION_DENIED' ? 'Not yours to read: ' + answer.error.message : answer.error.message);
    const roleText = (role) => String(role || '').replace(/_/g, ' ');
    const person = (c) => c.status === 'erased' ? h('i', {}, 'erased') : c.name;
    const coverageTable = coverage.error ? refused(coverage)
      : h('table', { id: 'coverage' }, h('thead', {}, h('tr', {}, ['Buying role', 'Whom we know', 'Last met', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, (coverage.value.roles || []).map((r) => h('tr', { class: r.gap ? 'risk' : '' },
          h('td', {}, roleText(r.role)),
          h('td', {}, (r.contacts || []).map((c) => h('div', {}, person(c), h('span', { class: 'note' }, ' ' + c.contact_id)))),
          h('td', { class: 'when' }, when(r.last_met_at)),
          h('td', {}, r.gap ? h('span', { class: 'badge risk' }, r.gap) : h('span', { class: 'badge done' }, 'covered'))))));
    const people = contacts.error ? refused(contacts)
      : (contacts.value.contacts || []).length === 0 ? h('p', { class: 'muted' }, 'No one in the notebook yet (bidtrail contact add ' + id + ' …).')
        : sortableTable([
          { key: 'name', label: 'name', value: (c) => c.name || '', text: (c) => h('span', {}, person(c), h('div', { class: 'note' }, c.contact_id)) },
          { key: 'role', label: 'role', value: (c) => roleText(c.role) },
          { key: 'department', label: 'department', narrow: true, value: (c) => c.department || '' },
          { key: 'status', label: 'status', value: (c) => c.status },
          { key: 'met', label: 'last met', value: (c) => c.last_met_at || '', text: (c) => (c.last_met_at ? when(c.last_met_at) + ' by ' + c.last_met_by : 'never') },
          { key: 'days', label: 'days since', num: true, value: (c) => c.days_since_met },
        ], contacts.value.contacts, { id: 'contacts' });
    const one = flags.error ? null : (flags.value.buyers || [])[0];
    show(h('h1', {}, (one && one.buyer.name) || id),
      h('p', { class: 'muted' }, id, ' · ', h('a', { href: here('/signals?buyer_id=' + encodeURIComponent(id)) }, 'signals'), ' · ',
        h('a', { href: here('/winloss?buyer_id=' + encodeURIComponent(id)) }, 'our win/loss here')),
      one && one.incumbent ? h('p', { class: 'banner signal' }, '⚑ ' + one.incumbent.summary + '.') : null,
      h('h2', {}, 'Whom we know, by buying role'),
      coverage.error ? null : h('p', { class: 'note' }, 'A gap: no one known in the role, never met, or not met for ' + (coverage.value.not_met_days || 90) + ' days.'),
      coverageTable,
      h('h2', {}, 'The notebook'), people,
      h('p', { class: 'note' }, 'Names and details are sealed per person and erasable on request (bidtrail contact forget); the notebook is read by the territory\'s team and managers.'));
  }

  // ---------------------------------------------------------------- start

  const PAGES = { board: board, tender: tender, winloss: winloss, segments: segments, competitors: competitors, review: review, signals: signals, buyer: buyer };

  function start() {
    for (const a of document.querySelectorAll('header.top nav a')) {
      if (a.dataset.nav === page || (page === 'tender' && a.dataset.nav === 'board')) a.classList.add('current');
    }
    const zoneLabel = document.getElementById('zone');
    // An unencoded "+" in ?tz=+08:00 arrives as a space.
    if (/^ \d\d:\d\d$/.test(zone)) zone = '+' + zone.slice(1);
    if (zoneLabel) zoneLabel.textContent = 'times in ' + zone;
    if (params.has('tz')) {
      for (const a of document.querySelectorAll('header.top a')) a.href = here(a.getAttribute('href'));
    }
    const draw = PAGES[page];
    if (!draw) return;
    draw().then(ready, failed);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
