import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterQuery, parseFilterWords } from '@wikipulse/events';
import { cacheDir, repoRoot } from '@wikipulse/testing';

/**
 * The web page as a person sees it: `npm start` replaying the bundled recording (looped, so the
 * numbers move), loaded in headless Chromium (Debian's, installed by tools/browser/install.sh).
 * A screenshot is left in .cache/screenshots/ for the README (docs/images/local-page.png).
 */
const run = promisify(execFile);
/** What the page test reads of an <img> (the tests compile without the DOM's types). */
interface LoadedImage {
  complete: boolean;
  naturalWidth: number;
  naturalHeight: number;
}
let dataDir: string;
let child: ChildProcess | undefined;
let base: string;
let browser: Browser | undefined;

beforeAll(async () => {
  const { stdout } = await run('bash', [join(repoRoot, 'tools/browser/install.sh')]);
  const executablePath = stdout.trim();
  dataDir = await mkdtemp(join(tmpdir(), 'wikipulse-page-'));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => name !== 'KAFKA_BROKERS' && name !== 'CLICKHOUSE_URL',
    ),
  );
  child = spawn(process.execPath, [join(repoRoot, 'apps/local/dist/main.js'), '--replay'], {
    env: { ...env, DATA_DIR: dataDir, PORT: '0', PROGRESS_INTERVAL_S: '0', REPLAY_RATE: '100' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = /HTTP API on (http:\/\/[\d.]+:\d+)\//.exec(err)?.[1];
    if (found) {
      base = found;
      break;
    }
    if (Date.now() > deadline) throw new Error(`the local run did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  const running = child;
  if (running?.exitCode === null) {
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGINT');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('the local web page', () => {
  it('shows the source, live figures, per-minute series, trending, the daily chart and the latest changes', async () => {
    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);

    await expect
      .poll(() => page.getByTestId('source').textContent(), { timeout: 15_000 })
      .toMatch(/^replay: /);
    // Enough data to show: the recording loops at 100 events/s.
    await expect
      .poll(async () => page.locator('[data-testid="languages"] li').count(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(3);
    await expect
      .poll(async () => page.locator('[data-testid="recent"] tr').count(), { timeout: 20_000 })
      .toBeGreaterThan(0);

    const first = Number((await page.getByTestId('ingested').textContent())!.replace(/,/g, ''));
    await expect
      .poll(
        async () => Number((await page.getByTestId('ingested').textContent())!.replace(/,/g, '')),
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(first);

    await expect
      .poll(
        async () => Number((await page.getByTestId('stored').textContent())!.replace(/,/g, '')),
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(0);

    // The table shows what the API returns, linked to the wiki.
    const api = (await (await fetch(`${base}/api/languages`)).json()) as {
      items: { language: string }[];
    };
    const names = await page.locator('[data-testid="languages"] li .name').allTextContents();
    expect(names.length).toBeGreaterThan(0);
    expect(api.items.map((i) => i.language || 'multilingual')).toEqual(
      expect.arrayContaining(names.slice(0, 1)),
    );
    const link = page.locator('[data-testid="recent"] tr a').first();
    // Whichever change is newest when the page is read: a language's wikis include Wikiquote,
    // Wiktionary and the other projects, not only Wikipedia.
    expect(await link.getAttribute('href')).toMatch(/^https:\/\/[a-z-]+\.wik[a-z]+\.org\/wiki\//);

    // The live series: a line per language over the last hour, named in its legend.
    await expect
      .poll(async () => page.locator('[data-testid="activity"] polyline').count(), {
        timeout: 20_000,
      })
      .toBeGreaterThanOrEqual(1);
    // The page and the API are read at different moments of a live replay, and a language can
    // start between the two reads: they must agree once the page has caught up.
    await expect
      .poll(
        async () => {
          const lines = await page.locator('[data-testid="activity"] polyline').count();
          const legend = await page.locator('[data-testid="activity-legend"] li').count();
          const activity = (await (await fetch(`${base}/api/activity`)).json()) as {
            items: { language: string }[];
          };
          const languages = new Set(activity.items.map((i) => i.language)).size;
          return lines === legend && lines === languages
            ? 'a line and a legend entry per language'
            : JSON.stringify({ lines, legend, languages });
        },
        { timeout: 20_000 },
      )
      .toBe('a line and a legend entry per language');

    // Trending: the pages the API names, or the sentence saying there are none.
    const trending = (await (await fetch(`${base}/api/trending?lang=en&limit=8`)).json()) as {
      items: { title: string }[];
    };
    await expect
      .poll(async () =>
        trending.items.length === 0
          ? page.getByTestId('trending-empty').isVisible()
          : (await page.locator('[data-testid="trending"] li').count()) > 0,
      )
      .toBe(true);

    // The daily chart is the API's PNG, loaded and drawn at its size.
    const chart = page.getByTestId('daily-chart');
    await expect
      .poll(() =>
        chart.evaluate(
          (img) =>
            (img as unknown as LoadedImage).complete &&
            (img as unknown as LoadedImage).naturalWidth,
        ),
      )
      .toBe(800);
    expect(await chart.evaluate((img) => (img as unknown as LoadedImage).naturalHeight)).toBe(400);

    const shots = join(cacheDir, 'screenshots');
    await mkdir(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'local-page.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('opened from a feed’s "+N more" link, shows only the changes its filters pass, and says so', async () => {
    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The link as the bot writes it: the feed's filters as query parameters, then its id.
    const parsed = parseFilterWords(['lang:en', 'ns:14', 'bots:hide']);
    if (!parsed.ok) throw new Error(parsed.error);
    const query = filterQuery(parsed.filter);
    query.set('feed', 'k3m9x2ab');
    await page.goto(`${base}/?${query.toString()}`);

    const banner = page.getByTestId('filter-banner');
    await expect
      .poll(() => page.getByTestId('filter-text').textContent(), { timeout: 20_000 })
      .toBe('Only changes matching lang:en ns:14 bots:hide (feed k3m9x2ab).');
    expect(await banner.getAttribute('data-state')).toBe('ok');
    expect(await page.getByTestId('lang').isVisible()).toBe(false);
    const rows = page.locator('[data-testid="recent"] tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    // Category pages of the English wikis, changed by people: read twice, across a live update.
    for (let pass = 0; pass < 2; pass += 1) {
      const cells = await rows.evaluateAll((trs) =>
        trs.map((tr) =>
          [...(tr as unknown as { cells: { textContent: string }[] }).cells].map(
            (td) => td.textContent,
          ),
        ),
      );
      expect(cells.length).toBeGreaterThan(0);
      for (const [, wiki, title, user] of cells) {
        expect(wiki).toMatch(/^enwik/);
        expect(title).toMatch(/^Category:/);
        expect(user).not.toMatch(/\(bot\)$/);
      }
      await page.waitForTimeout(2500);
    }

    // Clearing the filters shows every change of the chosen language again.
    await page.getByTestId('filter-clear').click();
    await expect.poll(() => page.url()).toBe(`${base}/`);
    await expect.poll(() => banner.isVisible()).toBe(false);
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('lang').isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });

  it('says which parameter of a bad link is wrong, and lists nothing', async () => {
    const page = await browser!.newPage();
    await page.goto(`${base}/?lang=xx-nope&ns=0&feed=k3m9x2ab`);
    const banner = page.getByTestId('filter-banner');
    await expect
      .poll(() => page.getByTestId('filter-text').textContent(), { timeout: 20_000 })
      .toMatch(/^This link's filters cannot be used: lang=xx-nope: unknown language code/);
    expect(await banner.getAttribute('data-state')).toBe('error');
    expect(await banner.getAttribute('role')).toBe('alert');
    expect(await page.locator('[data-testid="recent"] tr').count()).toBe(0);
    expect(await page.getByTestId('recent-empty').isVisible()).toBe(false);
    expect(await page.getByTestId('filter-clear').getAttribute('href')).toBe('/');
  });
});
