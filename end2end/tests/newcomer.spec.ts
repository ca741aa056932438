// What a newcomer meets in the first hour: public models browsable without an account (and no
// tabs they cannot use), a model's class labels and card fields on its overview and in its edit
// form, a warning when an alias points at a withdrawn version, chart labels at reading size, and
// a refused form that comes back filled in. Runs after journey.spec.ts (which creates the admin)
// in both projects.
import { expect, test, type Page, type TestInfo } from './fixtures';

test.describe.configure({ mode: 'serial' });

const ADMIN = { username: 'ada', password: 'correct horse battery staple' };

function path(expected: string) {
  return (url: URL) => url.pathname === expected;
}

function origin(testInfo: TestInfo) {
  return { Origin: new URL(testInfo.project.use.baseURL ?? '').origin };
}

function tabs(page: Page) {
  return page.getByRole('navigation', { name: 'Model sections' });
}

async function signIn(page: Page) {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(path('/models'));
}

const CARD = '---\nlicense: apache-2.0\ndatasets: [churn-2024]\n---\n# Churn\n\n```python\nimport joblib  # load\n```\n';

/** A public binary model with class labels, two published versions with metrics, and a
 * `staging` alias left on the first version, which is then deactivated. */
async function publicModel(page: Page, testInfo: TestInfo, name: string) {
  const headers = origin(testInfo);
  const created = await page.request.post('/api/v1/models', {
    headers,
    data: { name, visibility: 'public', target_type: 'binary', class_labels: ['stays', 'leaves'], readme: CARD },
  });
  expect(created.status(), await created.text()).toBe(201);
  for (const auc of [0.81, 0.86]) {
    const version = await page.request.post(`/api/v1/models/${name}/versions`, {
      headers,
      data: { publish: true, metrics: [{ key: 'auc', value: auc }] },
    });
    expect(version.status(), await version.text()).toBe(201);
  }
  const alias = await page.request.put(`/api/v1/models/${name}/aliases/staging`, {
    headers,
    data: { version: '0.1.0' },
  });
  expect(alias.status(), await alias.text()).toBe(200);
  const off = await page.request.post(`/api/v1/models/${name}/versions/0.1.0/deactivate`, { headers });
  expect(off.status(), await off.text()).toBe(200);
}

test('an anonymous visitor browses public models and is offered to sign in', async ({ page }, testInfo) => {
  const name = `open-churn-${testInfo.project.name}`;
  await signIn(page);
  await publicModel(page, testInfo, name);
  await page.context().clearCookies();

  const list = await page.goto('/models');
  expect(list?.status()).toBe(200);
  await expect(page).toHaveURL(path('/models'));
  await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'New model' })).toHaveCount(0);
  const header = page.getByRole('navigation', { name: 'Main' });
  await expect(header.getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  // The license links to the models under it.
  await page.getByRole('link', { name: 'apache-2.0' }).first().click();
  await expect(page).toHaveURL(/license=apache-2.0/);
  await expect(page.getByTestId('license-filter')).toContainText('apache-2.0');

  await page.goto(`/models/${name}`);
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
  for (const tab of ['Settings', 'Sharing', 'Activity']) {
    await expect(tabs(page).getByRole('link', { name: tab })).toHaveCount(0);
  }
  await expect(tabs(page).getByRole('link', { name: 'Versions' })).toBeVisible();
  await expect(page.getByTestId('class-labels')).toContainText('stays');
  await expect(page.getByTestId('card-license')).toContainText('apache-2.0');
  // Highlighted code in the card, without the front matter as text.
  await expect(page.getByTestId('model-card').locator('.tok-k', { hasText: 'import' })).toBeVisible();
  await expect(page.getByTestId('model-card')).not.toContainText('license:');
  // Chart labels are read at their size on screen, not the SVG's.
  const label = page.getByTestId('metric-chart').locator('text').first();
  const height = await label.evaluate((el) => el.getBoundingClientRect().height);
  expect(height, 'tick label height in CSS pixels').toBeGreaterThanOrEqual(11);

  await header.getByRole('link', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(path('/login'));
});

test('an owner sees aliases on withdrawn versions and edits class labels', async ({ page }, testInfo) => {
  const name = `open-churn-${testInfo.project.name}`;
  await signIn(page);
  await page.goto(`/models/${name}`);
  await expect(page.getByRole('alert').filter({ hasText: "'staging' (0.1.0)" })).toContainText('inactive version');
  await expect(tabs(page).getByRole('link', { name: 'Settings' })).toBeVisible();

  await page.goto(`/models/${name}/edit`);
  const labels = page.getByLabel('Class labels', { exact: true });
  await expect(labels).toHaveValue('stays\nleaves');
  await labels.fill('stays, for now\nleaves');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(path(`/models/${name}`));
  await expect(page.getByTestId('class-labels')).toContainText('stays, for now');
});

test('a refused new model comes back with what was typed', async ({ page }, testInfo) => {
  const name = `open-churn-${testInfo.project.name}`;
  await signIn(page);
  await page.goto('/models/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Description', { exact: true }).fill('A second try');
  await page.getByLabel('Tags', { exact: true }).fill('tabular, churn');
  await page.getByRole('button', { name: 'Create model' }).click();
  await expect(page.getByText('already a model named')).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(name);
  await expect(page.getByLabel('Description', { exact: true })).toHaveValue('A second try');
  await expect(page.getByLabel('Tags', { exact: true })).toHaveValue('tabular, churn');
  await expect(page.locator('main')).not.toContainText('/api/v1');
});

test('what is typed before the page hydrates survives hydration @js', async ({ page }) => {
  await signIn(page);
  // Hold the WASM back, as a slow connection does, while the person types.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route('**/pkg/modelyard*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/models/new');
  await page.getByLabel('Name', { exact: true }).fill('typed-early');
  await page.getByLabel('Class labels', { exact: true }).fill('yes\nno');
  await page.getByLabel('Model card', { exact: true }).fill('# Typed early');
  release();
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('typed-early');
  await expect(page.getByLabel('Class labels', { exact: true })).toHaveValue('yes\nno');
  await expect(page.getByLabel('Model card', { exact: true })).toHaveValue('# Typed early');
  await page.unroute('**/pkg/modelyard*.wasm');
});
