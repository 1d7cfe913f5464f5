// A first look at one node: its status, its health and its recent warnings, refreshed every 2 s.
// It talks only to the node's REST API; the API key, when the node needs one, stays in this tab.
(function () {
  'use strict';
  const KEY = 'akita.apiKey';
  const $ = (id) => document.getElementById(id);

  function headers() {
    const key = sessionStorage.getItem(KEY);
    return key ? { 'X-API-Key': key } : {};
  }

  async function api(path) {
    const res = await fetch(path, { headers: headers() });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = body.error || {};
      throw new Error((err.code || res.status) + ': ' + (err.message || res.statusText));
    }
    return body;
  }

  function text(el, value) { el.textContent = value == null || value === '' ? '-' : String(value); return el; }

  function renderStatus(s) {
    const rows = [
      ['name', s.name], ['id', s.nodeId], ['cluster', s.cluster], ['version', s.version],
      ['state', s.state], ['leader', s.isLeader ? 'yes' : 'no'], ['roles', (s.roles || []).join(', ')],
      ['capabilities', (s.capabilities || []).join(', ')], ['task types', (s.taskTypes || []).join(', ')],
      ['uptime', Math.round(s.uptimeMs / 1000) + ' s'], ['API', s.apiSecured ? 'secured' : 'open']
    ];
    const dl = $('status');
    dl.replaceChildren();
    for (const [k, v] of rows) {
      dl.append(text(document.createElement('dt'), k), text(document.createElement('dd'), v));
    }
  }

  function renderLogs(entries) {
    const body = $('logs').tBodies[0];
    body.replaceChildren();
    for (const e of entries.slice().reverse()) {
      const tr = document.createElement('tr');
      for (const v of [e.time, e.level, e.message + (e.error ? ' — ' + e.error : '')]) {
        tr.append(text(document.createElement('td'), v));
      }
      body.append(tr);
    }
  }

  async function refresh() {
    try {
      const health = await fetch('/health').then((r) => r.json());
      const badge = $('health');
      badge.textContent = health.status;
      badge.className = 'badge ' + (health.ready ? 'up' : 'down');
      renderStatus(await api('/api/v1/status'));
      renderLogs((await api('/api/v1/logs?limit=20&level=WARN')).entries);
      $('error').hidden = true;
    } catch (e) {
      $('error').hidden = false;
      $('error').textContent = e.message;
    }
  }

  $('key-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const key = $('api-key').value.trim();
    if (key) { sessionStorage.setItem(KEY, key); } else { sessionStorage.removeItem(KEY); }
    $('api-key').value = '';
    refresh();
  });

  refresh();
  setInterval(refresh, 2000);
})();
