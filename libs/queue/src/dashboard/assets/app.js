/* mq dashboard: polls the JSON API (docs/dashboard.md) and renders with textContent only (nothing from Redis becomes HTML). */
'use strict';
(function () {
  const TIERS = ['critical', 'high', 'normal', 'low'];
  const view = document.getElementById('view');
  let session = { admin: false, tokenConfigured: false };
  let previous = null; // last overview, for rates
  let rates = {};
  let timer = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }
  const num = (v, field) => el('td', { class: 'num', 'data-field': field }, v === null || v === undefined ? '-' : String(v));
  const time = (ms) => (ms ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');
  const ago = (ms) => (ms === undefined || ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  const text = (v) => (v === undefined ? '' : JSON.stringify(v, null, 2));
  const span = (ms) =>
    ms === null || ms === undefined
      ? '-'
      : ms < 1000
        ? `${Math.round(ms)} ms`
        : ms < 60_000
          ? `${(ms / 1000).toFixed(1)} s`
          : ms < 3_600_000
            ? `${(ms / 60_000).toFixed(1)} min`
            : `${(ms / 3_600_000).toFixed(1)} h`;
  const bound = (ms, starts) => (!starts ? '-' : ms === null ? '> 300 s' : `≤ ${span(ms)}`);
  // a rate limit's origin: the dashboard's configuration, live workers' heartbeats
  const limitFrom = (l) => {
    const from = [l.configured ? 'config' : null, l.workers > 0 ? `${l.workers} worker${l.workers === 1 ? '' : 's'}` : null].filter(Boolean);
    return `${from.length > 0 ? from.join(', ') : 'bucket only'}${l.mismatch ? ' (disagree)' : ''}`;
  };
  function rateLimits(r) {
    if (r.limits.length === 0 && r.parked.total === 0) return el('p', { id: 'rate-limits' }, 'Rate limits: none');
    const types = Object.entries(r.parked.byType).sort((a, b) => b[1] - a[1]);
    const counted = r.parked.counted < r.parked.total ? ` (counted over the first ${r.parked.counted})` : '';
    return el(
      'div',
      { id: 'rate-limits' },
      el('h3', {}, `Rate limits (${r.limits.length})`),
      table(
        ['Limit', 'Max', 'Per', 'Tokens', 'Next token', 'Full in', 'Parked', 'From'],
        r.limits.map((l) =>
          el(
            'tr',
            { 'data-limit': l.name },
            el('td', {}, l.name === '*' ? '* (whole queue)' : l.name),
            num(l.max, 'max'),
            el('td', { class: 'num', 'data-field': 'per' }, span(l.perMs)),
            num(l.tokens, 'tokens'),
            el('td', { class: 'num', 'data-field': 'next' }, l.nextTokenInMs === 0 ? 'now' : span(l.nextTokenInMs)),
            el('td', { class: 'num', 'data-field': 'full' }, l.fullInMs === 0 ? 'full' : span(l.fullInMs)),
            num(l.parked, 'parked'),
            el('td', { 'data-field': 'from' }, limitFrom(l)),
          ),
        ),
      ),
      el(
        'p',
        { 'data-field': 'parked-summary' },
        `Parked behind a limit: ${r.parked.total} (${TIERS.map((t) => `${t} ${r.parked.tiers[t]}`).join(' · ')})`,
        types.length > 0 ? ` · per type${counted}: ${types.map(([t, n]) => `${t} ${n}`).join(', ')}` : '',
      ),
    );
  }
  // ready/blocked/running groups of a queue (docs/queue.md "Groups"), '-' without any
  const groupCounts = (g) => (g.ready + g.blocked + g.running === 0 ? '-' : `${g.ready}/${g.blocked}/${g.running}`);
  function groups(r) {
    const c = r.counts;
    const limit = r.groupConcurrency === null ? 'no groupConcurrency' : `groupConcurrency ${r.groupConcurrency}`;
    if (r.items.length === 0) return el('p', { id: 'groups' }, `Groups: none ready or in flight (${limit})`);
    return el(
      'div',
      { id: 'groups' },
      el('h3', {}, `Groups (${c.ready} ready, ${c.blocked} blocked, ${c.running} in flight; ${limit})`),
      table(
        ['Group', ...TIERS, 'Waiting', 'In flight', 'Blocked', 'Oldest waiting'],
        r.items.map((g) =>
          namedRow(
            'group',
            g.group,
            TIERS.map((t) => num(g.tiers[t], t)),
            num(g.waiting, 'waiting'),
            num(g.running, 'running'),
            el('td', { 'data-field': 'blocked', class: g.blocked ? 'paused' : '' }, g.blocked ? 'blocked' : 'no'),
            el('td', { class: 'num', 'data-field': 'oldest' }, span(g.oldestWaitingMs)),
          ),
        ),
      ),
      r.more ? el('p', { 'data-field': 'groups-more' }, `More groups than listed (the first ${r.items.length}).`) : null,
    );
  }
  const table = (headers, rows) =>
    el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          headers.map((h) => el('th', {}, h)),
        ),
      ),
      el('tbody', {}, rows),
    );
  // a table row named by its `data-<name>` attribute, the name itself in its first cell
  const namedRow = (name, value, ...cells) => el('tr', { [`data-${name}`]: value }, el('td', {}, value), ...cells);
  // a message's row (delayed, in flight): id, type, priority and attempts, then `cells`
  const messageRow = (m, ...cells) => namedRow('id', m.id, el('td', {}, m.type || '-'), el('td', {}, m.priority || '-'), num(m.attempts), ...cells);

  function notice(message, isError) {
    const n = document.getElementById('notice');
    n.textContent = message;
    n.className = isError ? 'error' : '';
  }

  async function api(path, options) {
    const res = await fetch(`api/${path}`, Object.assign({ credentials: 'same-origin', headers: { 'content-type': 'application/json' } }, options || {}));
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
    return body;
  }

  async function act(label, path, method, body) {
    try {
      const result = await api(path, { method, body: body ? JSON.stringify(body) : undefined });
      const ids = result.replayed || result.deleted;
      notice(`${label}: done${ids ? ` (${ids.length}: ${ids.join(' ')})` : ''}`);
    } catch (error) {
      notice(`${label}: ${error.message}`, true);
    }
    refresh();
  }

  const adminButton = (label, onclick, attrs) => (session.admin ? el('button', Object.assign({ onclick }, attrs || {}), label) : null);

  const routes = {
    async overview() {
      const data = await api('overview');
      const now = data.at;
      if (previous) {
        const dt = (now - previous.at) / 1000;
        for (const q of data.queues) {
          const p = previous.queues.find((x) => x.name === q.name);
          if (p && dt > 0) rates[q.name] = { processed: ((q.processed - p.processed) / dt).toFixed(1), failed: ((q.failed - p.failed) / dt).toFixed(1) };
        }
      }
      previous = data;
      return [
        el('h2', {}, `Queues under prefix "${data.prefix}"`),
        data.queues.length === 0
          ? el('p', {}, 'No queues.')
          : table(
              [
                'Queue',
                'Paused',
                ...TIERS,
                'In flight',
                'Delayed',
                'Dead letters',
                'Processed',
                'Failed',
                'Done/s',
                'Failed/s',
                'Oldest waiting',
                'Wait p50',
                'Wait p95',
                'Workers',
                'Rate limits',
                'Parked',
                'Groups r/b/f',
              ],
              data.queues.map((q) =>
                el(
                  'tr',
                  { 'data-queue': q.name },
                  el('td', {}, el('a', { href: `#/queue/${encodeURIComponent(q.name)}` }, q.name)),
                  el('td', { 'data-field': 'paused', class: q.paused ? 'paused' : '' }, q.paused ? 'paused' : 'no'),
                  TIERS.map((t) => num(q.tiers[t], t)),
                  num(q.inflight, 'inflight'),
                  num(q.delayed, 'delayed'),
                  el('td', { class: 'num', 'data-field': 'deadLetters' }, el('a', { href: `#/dlq/${encodeURIComponent(q.name)}` }, String(q.deadLetters))),
                  num(q.processed, 'processed'),
                  num(q.failed, 'failed'),
                  num(rates[q.name] ? rates[q.name].processed : null, 'processedRate'),
                  num(rates[q.name] ? rates[q.name].failed : null, 'failedRate'),
                  el(
                    'td',
                    { class: 'num', 'data-field': 'oldest', title: TIERS.map((t) => `${t}: ${span(q.latency.oldestWaitingMs[t])}`).join(', ') },
                    span(q.latency.oldestMs),
                  ),
                  el('td', { class: 'num', 'data-field': 'waitP50' }, bound(q.latency.waitP50Ms, q.latency.starts)),
                  el('td', { class: 'num', 'data-field': 'waitP95' }, bound(q.latency.waitP95Ms, q.latency.starts)),
                  num(q.workers, 'workers'),
                  el(
                    'td',
                    { 'data-field': 'limits' },
                    q.rateLimits.length === 0 ? '-' : q.rateLimits.map((l) => `${l.name} ${l.tokens ?? '?'}/${l.max ?? '?'}`).join(' '),
                  ),
                  num(q.parked, 'parked'),
                  el(
                    'td',
                    { class: 'num', 'data-field': 'groups', title: 'groups ready / blocked at groupConcurrency / with messages in flight' },
                    groupCounts(q.groups),
                  ),
                ),
              ),
            ),
      ];
    },

    async queue(name) {
      const data = await api(`queues/${encodeURIComponent(name)}`);
      const q = data.info;
      const now = data.at;
      const delayed = (page) =>
        table(
          ['Id', 'Type', 'Priority', 'Attempts', 'Due in', 'Payload'],
          page.items.map((m) => messageRow(m, el('td', {}, ago(m.at - now)), el('td', {}, el('pre', { 'data-field': 'payload' }, text(m.payload))))),
        );
      // a completed message keeps only its record (docs/queue.md): id, type, attempts, times, result; no payload or priority
      const completed = (page) =>
        table(
          ['Id', 'Type', 'Attempts', 'Created', 'Finished', 'Result'],
          page.items.map((m) =>
            namedRow(
              'id',
              m.id,
              el('td', {}, m.type || '-'),
              num(m.attempts),
              el('td', {}, time(m.createdAt)),
              el('td', {}, time(m.at)),
              el('td', {}, el('pre', { 'data-field': 'result' }, text(m.result))),
            ),
          ),
        );
      return [
        el('h2', {}, `Queue ${name} `, q.paused ? el('span', { class: 'paused' }, '(paused)') : null),
        el(
          'p',
          {},
          adminButton(q.paused ? 'Resume' : 'Pause', () =>
            act(q.paused ? 'resume' : 'pause', `queues/${encodeURIComponent(name)}/${q.paused ? 'resume' : 'pause'}`, 'POST'),
          ),
          ' ',
          el('a', { href: `#/dlq/${encodeURIComponent(name)}` }, `${q.deadLetters} dead letters`),
        ),
        table(
          [...TIERS, 'In flight', 'Delayed', 'Published', 'Processed', 'Failed', 'Retried', 'Groups r/b/f'],
          [
            el(
              'tr',
              {},
              TIERS.map((t) => num(q.tiers[t], t)),
              num(q.inflight),
              num(q.delayed),
              num(q.published),
              num(q.processed),
              num(q.failed),
              num(q.retried),
              el('td', { class: 'num', 'data-field': 'groups' }, groupCounts(q.groups)),
            ),
          ],
        ),
        el(
          'p',
          {},
          `Oldest waiting: ${TIERS.map((t) => `${t} ${span(q.latency.oldestWaitingMs[t])}`).join(' · ')} · publish-to-start (last minute, ${q.latency.starts} starts): p50 ${bound(q.latency.waitP50Ms, q.latency.starts)}, p95 ${bound(q.latency.waitP95Ms, q.latency.starts)}`,
        ),
        rateLimits(data.limits),
        groups(data.groups),
        el('h3', {}, `Workers (${data.workers.length})`),
        table(
          ['Worker', 'Host', 'PID', 'Concurrency', 'Held at last heartbeat', 'Consuming since', 'Last heartbeat'],
          data.workers.map((w) =>
            namedRow(
              'worker',
              w.id,
              el('td', {}, w.host),
              num(w.pid),
              num(w.concurrency),
              num(w.held),
              el('td', {}, time(w.startedAt)),
              el('td', {}, `${ago(w.lastSeenAgoMs)} ago`),
            ),
          ),
        ),
        el('h3', {}, `In flight (${data.inflight.total})`),
        table(
          ['Id', 'Type', 'Priority', 'Attempt', 'Held for', 'Lease ends in', 'Worker', 'Progress', 'Payload'],
          data.inflight.items.map((m) =>
            messageRow(
              m,
              el('td', { 'data-field': 'held' }, ago(m.heldMs)),
              el('td', {}, ago(m.leaseEndsInMs)),
              el(
                'td',
                { 'data-field': 'worker' },
                m.holder ? `${m.holder.host} pid ${m.holder.pid} (${m.holder.id})` : m.worker ? `${m.worker} (no heartbeat)` : '-',
              ),
              el('td', { 'data-field': 'progress' }, m.progress === undefined ? '-' : el('pre', {}, text(m.progress))),
              el('td', {}, el('pre', {}, text(m.payload))),
            ),
          ),
        ),
        el('h3', {}, `Delayed (${data.delayed.total})`),
        delayed(data.delayed),
        el('h3', {}, `Recently completed (${data.completed.total})`),
        el('div', { id: 'completed' }, completed(data.completed)),
      ];
    },

    async dlq(name) {
      const data = await api(`queues/${encodeURIComponent(name)}/dead-letters?limit=100`);
      const base = `queues/${encodeURIComponent(name)}/dead-letters`;
      return [
        el('h2', {}, `Dead letters of ${name} (${data.total})`),
        el(
          'p',
          {},
          adminButton('Replay all', () => confirm(`Replay all ${data.total} dead letters of ${name}?`) && act('replay all', `${base}/replay-all`, 'POST'), {
            id: 'replay-all',
          }),
          ' ',
          adminButton('Purge', () => confirm(`Delete all ${data.total} dead letters of ${name}?`) && act('purge', `${base}/purge`, 'POST'), { id: 'purge' }),
          session.admin ? null : el('em', {}, ' read-only: log in with the admin token to replay or delete'),
        ),
        table(
          ['Id', 'Type', 'Dead at', 'Attempts', 'Reason', 'Error', 'Payload', ''],
          data.items.map((d) =>
            namedRow(
              'id',
              d.id,
              el('td', {}, d.type || '(invalid)'),
              el('td', {}, time(d.deadAt)),
              num(d.attempts),
              el('td', {}, d.reason),
              el('td', {}, d.error ? `${d.error.name}: ${d.error.message}` : '-', d.error && d.error.stack ? el('pre', { class: 'bad' }, d.error.stack) : null),
              el('td', {}, el('pre', { 'data-field': 'payload' }, d.raw !== undefined ? d.raw : text(d.payload))),
              el(
                'td',
                {},
                adminButton('Replay', () => act(`replay ${d.id}`, `${base}/${encodeURIComponent(d.id)}/replay`, 'POST'), { class: 'replay' }),
                ' ',
                adminButton('Delete', () => confirm(`Delete dead letter ${d.id}?`) && act(`delete ${d.id}`, `${base}/${encodeURIComponent(d.id)}`, 'DELETE'), {
                  class: 'delete',
                }),
              ),
            ),
          ),
        ),
      ];
    },

    async schedules() {
      const data = await api('schedules');
      const when = (s) => (!s.when ? 'once' : s.when.cron ? `cron ${s.when.cron} ${s.when.tz}` : `every ${s.when.everyMs} ms`);
      return [
        el('h2', {}, `Scheduled and recurring tasks (${data.items.length})`),
        table(
          ['Scheduler', 'Id', 'Type', 'Queue', 'When', 'Next run', 'Payload', ''],
          data.items.map((s) =>
            el(
              'tr',
              { 'data-id': s.id },
              el('td', {}, s.scheduler),
              el('td', {}, s.id),
              el('td', {}, s.task.type),
              el('td', {}, s.task.queue),
              el('td', {}, when(s)),
              el('td', {}, time(s.nextRunAt)),
              el('td', {}, el('pre', {}, text(s.task.payload))),
              el(
                'td',
                {},
                adminButton(
                  s.kind === 'once' ? 'Cancel' : 'Remove',
                  () => confirm(`${s.kind === 'once' ? 'Cancel' : 'Remove'} ${s.id}?`) && act(`cancel ${s.id}`, 'schedules/cancel', 'POST', { id: s.id }),
                ),
              ),
            ),
          ),
        ),
      ];
    },

    async channels() {
      const data = await api('channels');
      return [
        el('h2', {}, `Pub/sub channels under "${data.eventPrefix}"`),
        el('p', {}, data.samplingSince ? `Messages counted by this dashboard since ${time(data.samplingSince)}; rate over the last 10 s.` : 'Not sampling.'),
        table(
          ['Channel', 'Subscribers', 'Messages seen', 'Messages/s'],
          data.channels.map((c) => namedRow('channel', c.channel, num(c.subscribers, 'subscribers'), num(c.published, 'published'), num(c.ratePerSec, 'rate'))),
        ),
      ];
    },

    async groups() {
      const data = await api('groups');
      return [
        el('h2', {}, 'Stream consumer groups'),
        table(
          ['Channel', 'Group', 'Stream length', 'Pending', 'Lag', 'Consumers'],
          data.groups.map((g) =>
            el(
              'tr',
              {},
              el('td', {}, g.channel),
              el('td', {}, g.group),
              num(g.length),
              num(g.pending),
              num(g.lag),
              el('td', {}, g.consumers.map((c) => `${c.name} (${c.pending} pending, idle ${(c.idleMs / 1000).toFixed(0)} s)`).join(', ')),
            ),
          ),
        ),
      ];
    },
  };

  async function refresh() {
    clearTimeout(timer);
    const [, page, arg] = (location.hash || '#/').slice(1).split('/');
    const render =
      page === 'queue'
        ? () => routes.queue(decodeURIComponent(arg))
        : page === 'dlq'
          ? () => routes.dlq(decodeURIComponent(arg))
          : page === 'schedules'
            ? routes.schedules
            : page === 'groups'
              ? routes.groups
              : page === 'channels'
                ? routes.channels
                : routes.overview;
    try {
      session = await api('session');
      document.getElementById('session').textContent = session.admin ? 'admin' : 'read-only';
      document.getElementById('login').hidden = session.admin || !session.tokenConfigured;
      document.getElementById('logout').hidden = !session.admin;
      const nodes = await render();
      view.replaceChildren(...nodes);
      document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      notice(error.message, true);
    }
    timer = setTimeout(refresh, 2000);
  }

  document.getElementById('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = event.target.elements.token.value;
    try {
      await api('login', { method: 'POST', body: JSON.stringify({ token }) });
      notice('logged in');
    } catch (error) {
      notice(`login: ${error.message}`, true);
    }
    event.target.reset();
    refresh();
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await api('logout', { method: 'POST' });
    refresh();
  });
  window.addEventListener('hashchange', () => {
    previous = null;
    refresh();
  });
  refresh();
})();
