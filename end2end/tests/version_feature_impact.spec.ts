// Feature impact as a reviewer reads it: a pipeline imports SHAP results for two versions through
// the REST API; the version page draws the 25 most important features as a server-rendered SVG
// chart, "Show all" draws all 30 (in place when the WASM runs, as a new page without it), a bar
// focused with the keyboard shows its exact values, and the comparison page sets both versions
// side by side.
//
// Runs after journey.spec.ts, which creates the admin (this file is named to sort after it; run
// on its own, it creates the admin itself). Runs in both projects, each against its own server.
import { readFileSync } from 'node:fs';
import { expect, expectInteractive, test, type Page, type TestInfo } from './fixtures';

test.describe.configure({ mode: 'serial' });

const ADMIN = { username: 'ada', displayName: 'Ada Lovelace', password: 'correct horse battery staple' };

/** Thirty features, most important first; the last one only adds noise. */
const NAMES = [
  'bmi',
  's5',
  'bp',
  's1',
  'age',
  'sex',
  's2',
  's3',
  's4',
  's6',
  'average_monthly_household_income_in_thousands',
  ...Array.from({ length: 18 }, (_, i) => `extra_${String(i + 11).padStart(2, '0')}`),
  'noise',
];

function impacts(names: string[]) {
  return names.map((name, i) => ({
    feature_name: name,
    impact_unnormalized: name === 'noise' ? -1 : 30 - i,
  }));
}

function path(expected: string) {
  return (url: URL) => url.pathname === expected;
}

function origin(testInfo: TestInfo): { Origin: string } {
  const baseURL = testInfo.project.use.baseURL;
  if (!baseURL) throw new Error('E2E_HYDRATED_URL / E2E_NOJS_URL must be set; start the servers with end2end/run.sh');
  return { Origin: new URL(baseURL).origin };
}

/** Creates the first admin if nobody has yet: only when this file runs on its own. */
async function ensureAdmin(page: Page, testInfo: TestInfo) {
  const serverLog = (testInfo.project.metadata as Record<string, string | undefined>).serverLog;
  const token = serverLog
    ? [...readFileSync(serverLog, 'utf8').matchAll(/\/setup\?token=([0-9a-f]{64})\b/g)].at(-1)?.[1]
    : undefined;
  if (!token) return;
  await page.goto(`/setup?token=${token}`);
  await expect(page.getByRole('heading', { name: 'Create the first admin' })).toBeVisible();
  if ((await page.getByText('This setup link is not valid').count()) > 0) return;
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Display name', { exact: true }).fill(ADMIN.displayName);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Confirm password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create admin', exact: true }).click();
  await expect(page).toHaveURL(path('/login'));
}

async function signIn(page: Page, testInfo: TestInfo) {
  await ensureAdmin(page, testInfo);
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(path('/models'));
}

/** An API token made with the browser's session, as a person would make one for a pipeline. */
async function apiToken(page: Page, testInfo: TestInfo): Promise<string> {
  const response = await page.request.post('/api/v1/tokens', {
    headers: origin(testInfo),
    data: { name: `feature-impact-spec-${Date.now()}` },
  });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

test('a reviewer reads feature impact on the version page and compares two versions', async ({ page }, testInfo) => {
  const model = `impact-${testInfo.project.name}`;
  await signIn(page, testInfo);
  const auth = { Authorization: `Bearer ${await apiToken(page, testInfo)}` };

  // What a pipeline does: register the model and two versions, then import SHAP results.
  const created = await page.request.post('/api/v1/models', { headers: auth, data: { name: model } });
  expect(created.status(), await created.text()).toBe(201);
  for (const expected of ['0.1.0', '0.2.0']) {
    const version = await page.request.post(`/api/v1/models/${model}/versions`, {
      headers: auth,
      data: { publish: true },
    });
    expect(version.status(), await version.text()).toBe(201);
    expect(((await version.json()) as { version: string }).version).toBe(expected);
  }
  const importInto = async (version: string, names: string[]) => {
    const imported = await page.request.put(`/api/v1/models/${model}/versions/${version}/feature-impact`, {
      headers: auth,
      data: { feature_impacts: impacts(names), shap_based: true },
    });
    expect(imported.status(), await imported.text()).toBe(200);
  };
  // The second version: s5 overtook bmi, glucose is new and the noise is gone.
  const second = ['s5', 'bmi', 'glucose', ...NAMES.slice(2, 28)];
  await importInto('0.1.0', NAMES);
  await importInto('0.2.0', second);

  // The version page: the top 25 of 30, most important first, drawn by the server.
  await page.goto(`/models/${model}/versions/0.1.0`);
  await expectInteractive(page, testInfo);
  const section = page.getByRole('region', { name: 'Feature impact' });
  const chart = section.getByTestId('feature-impact-chart');
  await expect(chart).toContainText('Imported, SHAP-based');
  expect(await chart.locator('svg').first().evaluate((el) => el.tagName.toLowerCase())).toBe('svg');
  const bars = chart.getByRole('img');
  await expect(bars).toHaveCount(25);
  await expect(bars.first()).toHaveAccessibleName('bmi: normalized 1.000, unnormalized 30');
  await expect(bars.nth(4)).toHaveAccessibleName('age: normalized 0.867, unnormalized 26');
  // A long name is cut on the chart; the bar's name keeps all of it.
  await expect(chart.getByRole('img', { name: /^average_monthly_household_income_in_thousands: / })).toHaveCount(1);
  await expect(chart.locator('text').filter({ hasText: /^average_monthly_house.*…$/ })).toBeVisible();

  // Show all: in place with JavaScript (the page is not loaded again), as a new page without it.
  if (testInfo.project.name === 'hydrated') {
    await page.evaluate(() => ((window as unknown as { stayedHere: boolean }).stayedHere = true));
  }
  await chart.getByRole('link', { name: 'Show all 30 features' }).click();
  await expect(bars).toHaveCount(30);
  await expect(bars.last()).toHaveAccessibleName('noise: normalized -0.033, unnormalized -1');
  await expect(chart.getByRole('link', { name: 'Show the top 25 only' })).toBeVisible();
  await expect(page).toHaveURL((url) => url.searchParams.get('impact') === 'all');
  if (testInfo.project.name === 'hydrated') {
    expect(await page.evaluate(() => (window as unknown as { stayedHere?: boolean }).stayedHere)).toBe(true);
  }

  // Exact values on keyboard focus: Tab from the first bar to the second shows the second's.
  const readout = (name: string) => chart.locator('text').filter({ hasText: new RegExp(`^${name}: normalized`) });
  await expect(readout('s5')).toBeHidden();
  await bars.first().focus();
  await expect(readout('bmi')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(bars.nth(1)).toBeFocused();
  await expect(readout('s5')).toBeVisible();
  await expect(readout('s5')).toHaveText('s5: normalized 0.967, unnormalized 29');
  await expect(readout('bmi')).toBeHidden();

  // The other version has none until it is imported; both are compared side by side.
  await page.goto(`/models/${model}/compare?a=0.1.0&b=0.2.0`);
  await expectInteractive(page, testInfo);
  const compared = page.getByTestId('feature-impact-compare-chart');
  await expect(compared.getByRole('img', { name: 'bmi in 0.1.0: normalized 1.000, unnormalized 30' })).toBeVisible();
  await expect(compared.getByRole('img', { name: 'bmi in 0.2.0: normalized 0.967, unnormalized 29' })).toBeVisible();
  await expect(
    compared.getByRole('img', { name: 'glucose in 0.2.0: normalized 0.933, unnormalized 28 (only 0.2.0 has it)' }),
  ).toHaveCount(0);
  await compared.getByRole('link', { name: 'Show all 31 features' }).click();
  await expect(
    compared.getByRole('img', { name: 'glucose in 0.2.0: normalized 0.933, unnormalized 28 (only 0.2.0 has it)' }),
  ).toBeVisible();
  const changes = page.getByRole('table', { name: 'Top features changed' });
  await expect(changes.getByRole('row').filter({ hasText: 'glucose' })).toContainText('new');
  await expect(changes.getByRole('row').filter({ hasText: 'bmi' })).toContainText('down 1');
});
