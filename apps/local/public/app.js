// Wikipulse's local page: progress over server-sent events, the rest polled from the HTTP API.
import { drawSeries } from './charts.js';

const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat('en');

function text(tag, content, className) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className) el.className = className;
  return el;
}

/** Seconds as a person reads them: 0.4 s, 12 min, 5.2 h, 66 d. */
function duration(seconds) {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

function showProgress(p) {
  $('source').textContent =
    p.source === 'live' ? 'live: Wikimedia EventStreams' : `replay: ${p.sourceUrl}`;
  $('source').dataset.source = p.source;
  $('ingested').textContent = number.format(p.ingested);
  $('rate').textContent = `${number.format(Math.round(p.ratePerSecond))}/s`;
  $('lag').textContent = p.lagSeconds === null ? '–' : duration(p.lagSeconds);
  $('stored').textContent = number.format(p.storedRows);
}

/** The API's answer; a refusal carries its status and the API's own words. */
async function api(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    const error = new Error(body.error ?? `${path}: ${res.status}`);
    error.status = res.status;
    throw error;
  }
  return res.json();
}

let selected = 'en';

// A feed's "+N more" link opens the page with the feed's filters as query parameters
// (docs/bot.md). The API reads and checks them with the parser `!feed add` uses, so the page
// passes them on untouched and shows what the API understood, or why it refused them.
const linkFilters = new URLSearchParams(window.location.search);
const filtered = linkFilters.toString() !== '';

function recentPath() {
  if (!filtered) return `/api/recent?lang=${encodeURIComponent(selected)}&limit=15`;
  const query = new URLSearchParams(linkFilters);
  query.set('limit', '15');
  return `/api/changes?${query}`;
}

function showFilter(state, message) {
  const banner = $('filter-banner');
  // The filtered list is what the link was opened for: bring it into view once.
  if (banner.hidden) $('recent-title').scrollIntoView({ block: 'start' });
  banner.hidden = false;
  banner.dataset.state = state;
  banner.setAttribute('role', state === 'error' ? 'alert' : 'status');
  $('filter-text').textContent = message;
}

async function refreshLanguages() {
  const { date, items } = await api('/api/languages?limit=15');
  $('day').textContent = date;
  const list = $('languages');
  list.replaceChildren();
  const max = Math.max(1, ...items.map((i) => i.total));
  for (const item of items) {
    const li = document.createElement('li');
    li.dataset.lang = item.language;
    li.append(text('span', item.language || 'multilingual', 'name'));
    const bar = text('span', '', 'bar');
    bar.style.width = `${(100 * item.total) / max}%`;
    li.append(bar, text('span', number.format(item.total), 'value'));
    list.append(li);
  }
  $('languages-empty').hidden = items.length > 0;

  const select = $('lang');
  const known = new Set([...select.options].map((o) => o.value));
  for (const item of items) {
    if (!known.has(item.language))
      select.append(new Option(item.language || 'multilingual', item.language));
  }
}

async function recentItems() {
  if (!filtered) return (await api(recentPath())).items;
  try {
    const { feed, filter, items } = await api(recentPath());
    showFilter('ok', `Only changes matching ${filter}${feed ? ` (feed ${feed})` : ''}.`);
    return items;
  } catch (error) {
    if (error.status !== 400) throw error;
    // Backticks are Discord's code marks in the shared error text; the page shows plain text.
    showFilter('error', `This link's filters cannot be used: ${error.message.replace(/`/g, '')}`);
    return undefined;
  }
}

async function refreshRecent() {
  const items = await recentItems();
  const body = $('recent');
  body.replaceChildren();
  for (const c of items ?? []) {
    const tr = document.createElement('tr');
    tr.dataset.id = c.id;
    const page = document.createElement('td');
    if (c.url) {
      const a = text('a', c.title);
      a.href = c.url;
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      page.append(a);
    } else {
      page.textContent = c.title;
    }
    const delta =
      c.sizeDelta === null ? '' : (c.sizeDelta > 0 ? '+' : '') + number.format(c.sizeDelta);
    tr.append(
      text('td', c.time.slice(11, 19)),
      text('td', c.wiki),
      page,
      text('td', c.user + (c.bot ? ' (bot)' : '')),
      text('td', c.type),
      text('td', delta, c.sizeDelta < 0 ? 'num neg' : 'num'),
      text('td', c.comment, 'comment'),
    );
    body.append(tr);
  }
  // Refused filters are explained in the banner, not as an empty result.
  $('recent-empty').hidden = items === undefined || items.length > 0;
}

async function refreshTrending() {
  const { lang, items } = await api(`/api/trending?lang=${encodeURIComponent(selected)}&limit=8`);
  $('trending-lang').textContent = lang || 'multilingual';
  const list = $('trending');
  list.replaceChildren();
  for (const page of items) {
    const li = document.createElement('li');
    li.append(
      text('span', page.title, 'title'),
      text(
        'span',
        ` ${page.wiki} · ${page.edits} edits by ${page.editors} · ${Math.round(page.surge)}× usual`,
        'meta',
      ),
    );
    list.append(li);
  }
  $('trending-empty').hidden = items.length > 0;
}

async function refreshActivity() {
  const { minutes, items } = await api('/api/activity?minutes=60');
  drawSeries($('activity'), $('activity-legend'), items, minutes);
}

let chartRefreshed = Date.now();

function refreshChart() {
  // The hourly chart changes slowly; a new picture once a minute is plenty.
  if (Date.now() - chartRefreshed < 60_000) return;
  chartRefreshed = Date.now();
  $('daily-chart').src = `/api/charts/daily.png?lang=all&t=${chartRefreshed}`;
}

async function refresh() {
  try {
    refreshChart();
    await Promise.all([refreshLanguages(), refreshRecent(), refreshTrending(), refreshActivity()]);
    document.body.dataset.loaded = 'true';
  } catch (error) {
    console.error(error);
  }
}

if (filtered) {
  $('lang-choice').hidden = true;
  $('recent-empty').textContent = 'No stored change matches these filters yet.';
}

$('lang').addEventListener('change', (event) => {
  selected = event.target.value;
  void refreshRecent();
  void refreshTrending();
});

new EventSource('/api/live').onmessage = (event) => showProgress(JSON.parse(event.data));
void refresh();
setInterval(refresh, 2000);
