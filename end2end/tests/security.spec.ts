// The pages under their Content-Security-Policy, in a real browser: every page the admin opens
// hydrates with no violation reported (the fixture fails any test that logs one), its inline
// scripts carry the nonce its policy names, and a script injected into a page is refused.
// Runs after journey.spec.ts, which creates the admin and a model in each project.
import { BROWSER_TROUBLE, expect, expectInteractive, test, type Page, type TestInfo } from './fixtures';

const ADMIN = { username: 'ada', password: 'correct horse battery staple' };

function path(expected: string) {
  return (url: URL) => url.pathname === expected;
}

async function signIn(page: Page) {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(path('/models'));
}

/** Opens a page and checks its policy against the scripts it was sent with. */
async function openUnderPolicy(page: Page, testInfo: TestInfo, url: string) {
  const response = await page.goto(url);
  expect(response, url).not.toBeNull();
  const headers = response!.headers();
  const csp = headers['content-security-policy'] ?? '';
  const scriptSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src ')) ?? '';
  expect(scriptSrc, `${url}: inline scripts need the nonce`).not.toContain('unsafe-inline');
  const nonce = /'nonce-([A-Za-z0-9+/_=-]+)'/.exec(scriptSrc)?.[1];
  expect(nonce, `${url}: the policy names a nonce (${csp})`).toBeTruthy();
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  // Browsers hide nonce attributes from the DOM once parsed, so read the HTML as it was sent.
  const html = await response!.text();
  const inlineScripts = [...html.matchAll(/<script\b([^>]*)>/g)].filter(([, attrs]) => !/\ssrc=/.test(attrs));
  expect(inlineScripts.length, `${url} has the hydration script`).toBeGreaterThan(0);
  for (const [tag] of inlineScripts) {
    expect(tag, `${url}: an inline script carries the policy's nonce`).toContain(`nonce="${nonce}"`);
  }
  await expectInteractive(page, testInfo);
}

test('pages hydrate under the Content-Security-Policy without violations', async ({ page }, testInfo) => {
  const model = `churn-${testInfo.project.name}`;
  await openUnderPolicy(page, testInfo, '/login');
  await signIn(page);
  for (const url of [
    '/models',
    '/models/new',
    `/models/${model}`,
    `/models/${model}/edit`,
    `/models/${model}/versions`,
    `/models/${model}/settings`,
    `/models/${model}/upload`,
    '/settings/tokens',
    '/datasets',
    '/no-such-page',
  ]) {
    await openUnderPolicy(page, testInfo, url);
  }
  // Client-side navigation after hydration stays within the policy too.
  await page.getByRole('navigation').getByRole('link', { name: 'Models', exact: true }).click();
  await expect(page).toHaveURL(path('/models'));
  await expect(page.getByRole('heading', { name: 'Models', exact: true })).toBeVisible();
});

test('a script injected into a page is refused, and the test fixture notices', { tag: '@js' }, async ({
  context,
}, testInfo) => {
  // A page of its own: the refusal is expected here and must not fail the fixture's page.
  const probe = await context.newPage();
  const errors: string[] = [];
  probe.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await probe.goto('/login');
  await expectInteractive(probe, testInfo);
  const ran = await probe.evaluate(async () => {
    const refused = new Promise<string>((resolve) =>
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true }),
    );
    const script = document.createElement('script');
    script.textContent = 'window.injected = true;';
    document.head.appendChild(script);
    const directive = await refused;
    return { directive, injected: (window as unknown as { injected?: boolean }).injected ?? false };
  });
  expect(ran.injected, 'the injected script did not run').toBe(false);
  expect(ran.directive).toMatch(/^script-src/);
  await expect.poll(() => errors.some((text) => BROWSER_TROUBLE.test(text)), {
    message: `the browser reports the refusal in a way the fixture catches: ${errors.join(' | ')}`,
  }).toBe(true);
  await probe.close();
});
