// The first hour with Modelyard, as a person lives it: set up the first admin, sign in, create and
// edit a model, manage an API token, sign out. Runs in both projects (hydrated and no-JS) against a
// fresh server each, so every form is exercised with and without JavaScript.
import { readFileSync } from 'node:fs';
import { expect, test, type Page, type TestInfo } from './fixtures';

test.describe.configure({ mode: 'serial' });

const ADMIN = {
  username: 'ada',
  displayName: 'Ada Lovelace',
  password: 'correct horse battery staple',
};

const INVALID_NAME_MESSAGE = "Model names may contain only letters, digits, '-', '_' and '.'.";
const DESCRIPTION = 'Predicts which customers will cancel next month.';
const NEW_DESCRIPTION = 'Predicts churn for subscription customers.';
const TAG = 'tabular';
const MODEL_CARD = '# Churn\n\nPredicts churn.<script>window.pwned=1</script>';

/** One model per project, so a look at either database tells which run created it. */
function modelName(testInfo: TestInfo): string {
  return `churn-${testInfo.project.name}`;
}

function requireServer(testInfo: TestInfo): { baseURL: string; serverLog: string } {
  const { serverLog, urlVar, logVar } = testInfo.project.metadata as Record<string, string | undefined>;
  const baseURL = testInfo.project.use.baseURL;
  if (!baseURL || !serverLog) {
    throw new Error(`${urlVar} and ${logVar} must be set; start the servers with end2end/run.sh`);
  }
  return { baseURL, serverLog };
}

/** The token from the `Open http://…/setup?token=… to create the first admin` line of the server log. */
async function setupToken(serverLog: string): Promise<string> {
  const tokenPattern = /\/setup\?token=([0-9a-f]{64})\b/g;
  let token: string | undefined;
  await expect
    .poll(
      () => {
        let log = '';
        try {
          log = readFileSync(serverLog, 'utf8');
        } catch {
          // Not written yet: poll again.
        }
        token = [...log.matchAll(tokenPattern)].at(-1)?.[1];
        return token;
      },
      { message: `the server log ${serverLog} names a setup link` },
    )
    .toBeDefined();
  return token as string;
}

function path(expected: string) {
  return (url: URL) => url.pathname === expected;
}

function nav(page: Page) {
  return page.getByRole('navigation');
}

async function signIn(page: Page, password: string) {
  await page.goto('/login');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function expectSignedIn(page: Page) {
  await expect(nav(page).getByText(ADMIN.displayName)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
}

test('a new admin sets up Modelyard, manages a model and a token, and signs out', async ({
  page,
  request,
}, testInfo) => {
  const { serverLog } = requireServer(testInfo);
  const name = modelName(testInfo);
  // A person confirms any "are you sure?" prompt they are shown.
  page.on('dialog', (dialog) => void dialog.accept());

  // First admin, through the one-time link the server printed.
  const token = await setupToken(serverLog);
  await page.goto(`/setup?token=${token}`);
  await expect(page.getByRole('heading', { name: 'Create the first admin' })).toBeVisible();
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Display name', { exact: true }).fill(ADMIN.displayName);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Confirm password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create admin', exact: true }).click();
  await expect(page).toHaveURL(path('/login'));
  await expect(page.getByText('Admin created')).toBeVisible();

  // The link works once.
  await page.goto(`/setup?token=${token}`);
  await expect(page.getByText('This setup link is not valid')).toBeVisible();

  // A wrong password is refused and keeps us on the sign-in page.
  await signIn(page, 'not the password');
  await expect(page.getByRole('alert').filter({ hasText: 'Wrong username or password' })).toBeVisible();
  await expect(page).toHaveURL(path('/login'));

  // The right one lands on an empty model list.
  await signIn(page, ADMIN.password);
  await expect(page).toHaveURL(path('/models'));
  await expect(page.getByRole('heading', { name: 'Models', exact: true })).toBeVisible();
  await expect(page.getByText('No models yet')).toBeVisible();
  await expectSignedIn(page);

  // An invalid name is explained and the form stays.
  await nav(page).getByRole('link', { name: 'New model', exact: true }).click();
  await expect(page).toHaveURL(path('/models/new'));
  await expect(page.getByRole('heading', { name: 'New model', exact: true })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('bad name!');
  await page.getByRole('button', { name: 'Create model', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: INVALID_NAME_MESSAGE })).toBeVisible();
  await expect(page).toHaveURL(path('/models/new'));
  await expect(page.getByRole('button', { name: 'Create model', exact: true })).toBeVisible();

  // A valid model, with a Markdown card that tries to smuggle in a script.
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Description', { exact: true }).fill(DESCRIPTION);
  await page.getByLabel('Tags', { exact: true }).fill(TAG);
  await page.getByLabel('Model card', { exact: true }).fill(MODEL_CARD);
  await page.getByRole('button', { name: 'Create model', exact: true }).click();
  await expect(page).toHaveURL(path(`/models/${name}`));
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
  await expect(page.getByText(DESCRIPTION, { exact: true })).toBeVisible();
  await expect(page.getByText(TAG, { exact: true })).toBeVisible();
  await expect(page.getByText('Model card', { exact: true })).toBeVisible();
  const cardHeading = page.getByRole('heading', { name: 'Churn', exact: true });
  await expect(cardHeading).toBeVisible();
  // The rendered Markdown is the card heading's container: the paragraph is there, the script is not.
  const card = cardHeading.locator('xpath=..');
  await expect(card).toContainText('Predicts churn.');
  await expect(card.locator('script')).toHaveCount(0);
  if (testInfo.project.name === 'hydrated') {
    expect(await page.evaluate(() => (window as unknown as { pwned?: unknown }).pwned)).toBeUndefined();
  }

  // Find it again from the list.
  await nav(page).getByRole('link', { name: 'Models', exact: true }).click();
  await expect(page).toHaveURL(path('/models'));
  const searchBox = page.getByRole('searchbox', { name: 'Search models' });
  const modelLink = page.getByRole('table').getByRole('link', { name, exact: true });
  await searchBox.fill('churn');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('search') === 'churn');
  await expect(modelLink).toBeVisible();
  await expect(page.getByText('Showing 1–1 of 1')).toBeVisible();

  await searchBox.fill('nothing-matches');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('search') === 'nothing-matches');
  await expect(page.getByText('No models match')).toBeVisible();
  await expect(modelLink).toHaveCount(0);

  // Edit the description.
  await nav(page).getByRole('link', { name: 'Models', exact: true }).click();
  await expect(page).toHaveURL(path('/models'));
  await modelLink.click();
  await expect(page).toHaveURL(path(`/models/${name}`));
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await expect(page).toHaveURL(path(`/models/${name}/edit`));
  await expect(page.getByRole('heading', { name: `Edit ${name}`, exact: true })).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(name);
  await expect(page.getByLabel('Description', { exact: true })).toHaveValue(DESCRIPTION);
  await expect(page.getByLabel('Tags', { exact: true })).toHaveValue(TAG);
  await page.getByLabel('Description', { exact: true }).fill(NEW_DESCRIPTION);
  await page.getByRole('button', { name: 'Save changes', exact: true }).click();
  await expect(page).toHaveURL(path(`/models/${name}`));
  await expect(page.getByText(NEW_DESCRIPTION, { exact: true })).toBeVisible();
  await expect(page.getByText(DESCRIPTION, { exact: true })).toHaveCount(0);

  // An API token: shown once, works, and stops working once revoked.
  await nav(page).getByRole('link', { name: 'API tokens', exact: true }).click();
  await expect(page).toHaveURL(path('/settings/tokens'));
  await expect(page.getByRole('heading', { name: 'API tokens', exact: true })).toBeVisible();
  await page.getByLabel('Token name', { exact: true }).fill('laptop');
  await page.getByLabel('Expires in days', { exact: true }).fill('30');
  await page.getByRole('button', { name: 'Create token', exact: true }).click();
  const newToken = page.getByTestId('new-token');
  await expect(newToken).toHaveText(/^\s*myd_[0-9a-f]{48}\s*$/);
  await expect(page.getByText('Copy this token now')).toBeVisible();
  const secret = ((await newToken.textContent()) ?? '').trim();
  const bearer = { Authorization: `Bearer ${secret}` };
  const me = await request.get('/api/v1/me', { headers: bearer });
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ username: ADMIN.username, is_admin: true });

  const tokenRow = page.getByRole('row').filter({ hasText: 'laptop' });
  await tokenRow.getByRole('button', { name: 'Revoke', exact: true }).click();
  await expect(tokenRow).toContainText('Revoked');
  await expect(tokenRow.getByRole('button', { name: 'Revoke', exact: true })).toHaveCount(0);
  const afterRevoke = await request.get('/api/v1/me', { headers: bearer });
  expect(afterRevoke.status()).toBe(401);
  expect(await afterRevoke.json()).toMatchObject({ error_code: 'INVALID_TOKEN' });

  // A mistyped address.
  const notFound = await page.goto('/no-such-page');
  expect(notFound?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();

  // Signing out ends access.
  await page.goto('/models');
  await expectSignedIn(page);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(path('/login'));
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // Signed out, the list holds only public models, with a way back in.
  await page.goto('/models');
  await expect(page).toHaveURL(path('/models'));
  await expect(page.getByRole('link', { name, exact: true })).toHaveCount(0);
  await expect(nav(page).getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(0);
  await page.goto('/models/new');
  await expect(page).toHaveURL(path('/login'));
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('signing in persists across reloads in an HttpOnly session cookie', async ({ page, context }, testInfo) => {
  requireServer(testInfo);

  await signIn(page, ADMIN.password);
  await expect(page).toHaveURL(path('/models'));
  await expectSignedIn(page);

  await page.reload();
  await expect(page).toHaveURL(path('/models'));
  await expectSignedIn(page);

  // Opening another page directly (a fresh request carrying only the cookie) keeps us signed in too.
  await page.goto('/settings/tokens');
  await expect(page).toHaveURL(path('/settings/tokens'));
  await expect(page.getByRole('heading', { name: 'API tokens', exact: true })).toBeVisible();

  const session = (await context.cookies()).find((cookie) => cookie.name === 'modelyard_session');
  expect(session, 'the modelyard_session cookie is set').toBeDefined();
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe('Lax');
  if (testInfo.project.name === 'hydrated') {
    // Page scripts (and so any injected script) cannot read the session.
    const visibleToScripts = await page.evaluate(() => document.cookie);
    expect(visibleToScripts).not.toContain('modelyard_session');
  }
});

test('the release bundle is named by its content, kept for good and sent precompressed', async ({ page }) => {
  // The sign-in page has no island, so it names only the stylesheet; a page with one names the rest.
  await page.goto('/login');
  await expect(page.locator('link[rel="modulepreload"], link[rel="preload"]')).toHaveCount(0);
  await signIn(page, ADMIN.password);
  await expect(page).toHaveURL(path('/models'));
  await page.goto('/models/new');
  const files = [
    await page.locator('link[rel="preload"][as="fetch"]').getAttribute('href'),
    await page.locator('link[rel="modulepreload"]').getAttribute('href'),
    await page.locator('link[rel="stylesheet"]').getAttribute('href'),
  ];
  for (const file of files) {
    // The new-model form's island is in the main bundle; the stylesheet is shared.
    expect(file, 'a bundle file named by its content').toMatch(/^\/pkg\/modelyard-[0-9a-f]{16}(-main\.(wasm|js)|\.css)$/);
    const response = await page.request.get(file ?? '', { headers: { 'Accept-Encoding': 'br, gzip' } });
    expect(response.status()).toBe(200);
    expect(response.headers()['content-encoding'], file ?? '').toBe('br');
    expect(response.headers()['cache-control'], file ?? '').toBe('public, max-age=31536000, immutable');
  }
  // The page itself is never kept, so a new release reaches everyone at once.
  const html = await page.request.get('/login', { headers: { 'Accept-Encoding': 'gzip' } });
  expect(html.headers()['cache-control'] ?? '').not.toContain('immutable');
  expect(html.headers()['content-encoding']).toBe('gzip');
});

test('the browser bundle is sent gzipped to browsers that accept it', async ({ page }) => {
  // The bundle's name changes with its content in a release build: a page with an island says
  // what it is.
  await signIn(page, ADMIN.password);
  await expect(page).toHaveURL(path('/models'));
  await page.goto('/models/new');
  const wasm = await page.locator('link[rel="preload"][as="fetch"]').getAttribute('href');
  expect(wasm, 'the page preloads its WASM bundle').toMatch(/^\/pkg\/modelyard(-[0-9a-f]{16})?-main\.wasm$/);
  const response = await page.request.get(wasm ?? '', {
    headers: { 'Accept-Encoding': 'gzip' },
  });
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toBe('application/wasm');
  expect(response.headers()['content-encoding']).toBe('gzip');
  // Decompressed by the client, it is still a WASM module.
  expect((await response.body()).subarray(0, 4)).toEqual(Buffer.from([0x00, 0x61, 0x73, 0x6d]));
});
