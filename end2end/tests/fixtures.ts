// Shared test setup. In the hydrated project every test must end on a page the WASM has taken
// over (the app marks <html data-hydrated>) or, if the page has no islands, on one that loaded no
// JavaScript and no WASM at all; and no test may leave an uncaught browser error, a panic, a
// hydration mismatch or a Content-Security-Policy violation behind. Without this, a
// missing or broken WASM bundle would let the "hydrated" project silently run as a second no-JS
// project, and a script the policy refuses would go unnoticed.
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';

export { expect };
export type { Page, TestInfo };

/** Console errors that fail a test. Chromium reports CSP violations as "Refused to execute
 * inline script because it violates the following Content Security Policy directive: …". */
export const BROWSER_TROUBLE =
  /hydrat|panicked|unreachable|\.wasm|RuntimeError|Refused to|Content[- ]Security[- ]Policy/i;

export const test = base.extend<{ browserGuard: void }>({
  browserGuard: [
    async ({ page }, use, testInfo) => {
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && BROWSER_TROUBLE.test(message.text())) {
          problems.push(`console: ${message.text()}`);
        }
      });
      await use();
      if (testInfo.status === testInfo.expectedStatus && page.url() !== 'about:blank') {
        await expectInteractive(page, testInfo);
      }
      expect(problems, 'errors in the browser').toEqual([]);
    },
    { auto: true },
  ],
});

/** In the hydrated project: on a page with islands, waits until the WASM has hydrated them; on a
 * page without, checks that it loaded no JavaScript and no WASM at all (nothing there needs it). */
export async function expectInteractive(page: Page, testInfo: TestInfo): Promise<void> {
  if (testInfo.project.name !== 'hydrated') return;
  await page.waitForLoadState('load');
  if ((await page.locator('leptos-island').count()) > 0) {
    await expect(page.locator('html'), 'the WASM bundle hydrates the page').toHaveAttribute(
      'data-hydrated',
      'true',
    );
  } else {
    // (leptos's inline table of the page's resources, empty here, is the only script left.)
    const loaded = await page.evaluate(() => ({
      scripts: [...document.querySelectorAll('script[src], script[type="module"], link[rel$="preload"]')].map(
        (el) => el.outerHTML,
      ),
      bundle: performance
        .getEntriesByType('resource')
        .map((entry) => new URL(entry.name).pathname)
        .filter((path) => /\.(js|wasm)$/.test(path)),
    }));
    expect(loaded, 'a page without islands loads no JavaScript and no WASM').toEqual({
      scripts: [],
      bundle: [],
    });
    await expect(page.locator('html'), 'nothing hydrates a page without islands').not.toHaveAttribute(
      'data-hydrated',
      'true',
    );
  }
}
