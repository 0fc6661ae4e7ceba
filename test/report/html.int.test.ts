import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml, runReport, writeReportHtml, type Report } from '../../src/report/index.ts';
import { etl, withWarehouse } from '../support/in-process.ts';
import { createDatabase, SAMPLE_DIR } from '../support/services.ts';
import { NASTY_TITLE, writeHandmade } from './handmade.ts';

const CHROMIUM = '/usr/bin/chromium';
/** `npm run update-screenshot`: the sample's page also replaces the README's picture, docs/report.png (a test run never writes it). */
const UPDATE_SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`html.int.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

/** Every chart the sample's report must draw. */
const SAMPLE_CHARTS = ['top-songs', 'top-artists', 'top-songs-as-logged', 'hour-by-weekday', 'plays-by-hour', 'plays-by-weekday', 'levels', 'top-locations', 'browsers', 'os', 'daily-active-users'];

describe.skipIf(!hasChromium)('report --html in headless Chromium, offline', () => {
  let browser: import('playwright-core').Browser;
  let sample: Report;
  let handmade: Report;
  const dir = mkdtemp(join(tmpdir(), 'sparkify-html-'));

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    const [sampleUrl, handmadeUrl, dirs] = await Promise.all([createDatabase('html_sample'), createDatabase('html_handmade'), writeHandmade()]);
    const sampleFlags = { target: sampleUrl, songs: `${SAMPLE_DIR}song_data`, logs: `${SAMPLE_DIR}log_data` };
    [browser] = await Promise.all([
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      }),
      etl(sampleFlags),
      etl({ target: handmadeUrl, ...dirs }),
    ]);
    // A fixed clock: the screenshot then changes only when the page does.
    sample = await withWarehouse(sampleFlags, (wh) => runReport(wh, { now: () => new Date('2018-12-01T06:00:00Z') }));
    handmade = await withWarehouse({ target: handmadeUrl }, (wh) => runReport(wh));
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens a file with every non-file request aborted, and collects what went wrong. */
  async function open(file: string, viewport = { width: 1280, height: 900 }) {
    const page = await browser.newPage({ viewport });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.route('**', (r) => (r.request().url().startsWith('file:') ? r.continue() : r.abort()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, problems, requests };
  }

  /** For each chart figure: its name, drawn size and how many filled shapes its SVG holds. */
  async function charts(page: import('playwright-core').Page) {
    return page.$$eval('figure.chart', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const shapes = svg ? [...svg.querySelectorAll('path, rect')].filter((s) => {
          const fill = s.getAttribute('fill');
          const b = (s as unknown as { getBBox(): { width: number; height: number } }).getBBox();
          return fill && fill !== 'none' && fill !== 'transparent' && b.width > 0 && b.height > 0;
        }).length : 0;
        return { name: f.getAttribute('data-chart'), width: box?.width ?? 0, height: box?.height ?? 0, shapes, texts: svg?.querySelectorAll('text').length ?? 0 };
      }),
    );
  }

  it('draws every chart of the sample with no network and no console error, and takes its screenshot', async () => {
    const file = join(await dir, 'sample.html');
    await writeReportHtml(sample, file);
    const { page, problems, requests } = await open(file);
    const drawn = await charts(page);
    expect(drawn.map((c) => c.name)).toEqual(SAMPLE_CHARTS);
    for (const c of drawn) {
      expect(c.width, c.name!).toBeGreaterThan(300);
      expect(c.height, c.name!).toBeGreaterThan(50);
      expect(c.shapes, c.name!).toBeGreaterThan(0);
      expect(c.texts, c.name!).toBeGreaterThan(0);
    }
    // The heat map has a cell per (weekday, hour); the hour bars one bar per non-empty hour.
    expect(drawn.find((c) => c.name === 'hour-by-weekday')!.shapes).toBeGreaterThanOrEqual(7 * 24);
    expect(drawn.find((c) => c.name === 'plays-by-hour')!.shapes).toBeGreaterThanOrEqual(24);
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    expect(await page.locator('h1').textContent()).toBe('Sparkify listening report');
    expect(await page.locator('text=You\'re The One').count()).toBeGreaterThan(0);
    const png = UPDATE_SCREENSHOT ? new URL('../../docs/report.png', import.meta.url).pathname : join(await dir, 'report.png');
    await mkdir(dirname(png), { recursive: true });
    await page.screenshot({ path: png, fullPage: true });
    expect((await stat(png)).size).toBeGreaterThan(20_000);
    await page.close();
  });

  it('is one self-contained file: no script, no external reference', async () => {
    const html = renderReportHtml(sample);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(?:src|href)=["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    expect(html).toContain("Content-Security-Policy");
  });

  it('escapes titles: a song called <script>… is text, not markup', async () => {
    const file = join(await dir, 'handmade.html');
    await writeReportHtml(handmade, file);
    expect(await readFile(file, 'utf8')).not.toContain('<script>');
    const { page, problems } = await open(file);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('td', { hasText: NASTY_TITLE }).count()).toBeGreaterThan(0);
    const drawn = await charts(page);
    expect(drawn.find((c) => c.name === 'top-songs')?.shapes).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
    await page.close();
  });
});
