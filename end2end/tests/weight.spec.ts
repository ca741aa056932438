// Page weight: what a first visit to each main page costs on the wire, measured in Chromium with a
// cold cache (a fresh browser context per page, signed in through its cookie only). Every
// response the page loads counts at its transferred size (headers and compressed body) as the
// browser's network layer reports it. Runs after the other specs, on the models they made.
//
// Prints a table per page and per resource; fails when a page is over the target, or loads a
// bundle other than its own (the version page the main one, the upload page the upload one). The figures
// are those of the release build of the site (scripts/build-site.sh --release), which the test
// command uses; bench/page-weight.sh runs this spec alone and prints its table.
import type { Browser, BrowserContext } from '@playwright/test';
import { test, expect, expectInteractive } from './fixtures';

const ADMIN = { username: 'ada', password: 'correct horse battery staple' };
/** The budget for a first page load, everything included. */
const TARGET_BYTES = 300 * 1024;

type Loaded = { url: string; type: string; bytes: number };

type Cookies = Awaited<ReturnType<BrowserContext['cookies']>>;

/** Loads `url` in a fresh context holding only the session cookie, and lists what came over the wire. */
async function firstLoad(browser: Browser, cookies: Cookies, url: string, baseURL: string) {
  const context = await browser.newContext({ baseURL });
  await context.addCookies(cookies);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const requests = new Map<string, { url: string; type: string }>();
  const loaded: Loaded[] = [];
  cdp.on('Network.responseReceived', (e) => requests.set(e.requestId, { url: e.response.url, type: e.type }));
  cdp.on('Network.loadingFinished', (e) => {
    const seen = requests.get(e.requestId);
    if (seen) loaded.push({ ...seen, bytes: e.encodedDataLength });
  });
  await page.goto(url);
  await page.waitForLoadState('networkidle');
  return { page, context, loaded };
}

test('every main page stays within its budget on the wire, cold @js', async ({ browser, page }, testInfo) => {
  const baseURL = testInfo.project.use.baseURL ?? '';
  const model = `impact-${testInfo.project.name}`;
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/models');
  const cookies = await page.context().cookies();

  const pages: [string, string][] = [
    ['models list', '/models'],
    ['model', `/models/${model}`],
    ['version', `/models/${model}/versions/0.2.0`],
    ['upload', `/models/${model}/upload`],
    ['compare', `/models/${model}/compare?a=0.1.0&b=0.2.0`],
  ];
  const lines: string[] = [];
  const totals: [string, number, boolean][] = [];
  const bundles = new Map<string, string[]>();
  for (const [name, url] of pages) {
    const { page: fresh, context, loaded } = await firstLoad(browser, cookies, url, baseURL);
    // The page is the real one (not a sign-in page or an error) and, where it has islands, they run.
    await expect(fresh).toHaveURL((u) => u.pathname === url.split('?')[0]);
    await expectInteractive(fresh, testInfo);
    const total = loaded.reduce((sum, r) => sum + r.bytes, 0);
    const hasIslands = (await fresh.locator('leptos-island').count()) > 0;
    totals.push([name, total, hasIslands]);
    bundles.set(
      name,
      [...new Set(loaded.map((r) => new URL(r.url).pathname.match(/-(main|upload)\.wasm$/)?.[1]))].filter(
        (b) => b !== undefined,
      ),
    );
    lines.push(`${name.padEnd(12)} ${(total / 1024).toFixed(1).padStart(7)} KiB  ${url}`);
    for (const r of loaded.sort((a, b) => b.bytes - a.bytes)) {
      const path = new URL(r.url).pathname;
      lines.push(`    ${(r.bytes / 1024).toFixed(1).padStart(7)} KiB  ${r.type.padEnd(10)} ${path}`);
    }
    await context.close();
  }
  console.log(
    `Bytes on the wire per page (target ${TARGET_BYTES / 1024} KiB):\n${lines.join('\n')}`,
  );
  for (const [name, total] of totals) {
    expect(total, `the ${name} page: ${(total / 1024).toFixed(1)} KiB`).toBeLessThanOrEqual(TARGET_BYTES);
  }
  // Each page with islands loads the one bundle that holds them, and nothing of the other.
  expect(bundles.get('version'), 'the WASM bundles of the version page').toEqual(['main']);
  expect(bundles.get('upload'), 'the WASM bundles of the upload page').toEqual(['upload']);
  // The list, the model page and the comparison are read, not worked in: no island, no bundle.
  expect(
    totals.filter(([, , hasIslands]) => !hasIslands).map(([name]) => name),
    'the pages that load no WASM',
  ).toEqual(['models list', 'model', 'compare']);
});
