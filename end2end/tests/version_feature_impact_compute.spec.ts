// Computing feature impact as a data scientist does it: a model's versions hold scikit-learn
// models exported to ONNX and the diabetes data as training data; on the version page they ask
// for feature impact, follow the job, and read the chart with the feature scikit-learn ranks
// first on top; the comparison page then sets two computed versions side by side. Runs in both
// projects: hydrated, the chart appears when the job ends; without JavaScript, "Refresh" does it.
//
// Runs after journey.spec.ts, which creates the admin (run on its own, it creates it itself).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, expectInteractive, test, type Page, type TestInfo } from './fixtures';

test.describe.configure({ mode: 'serial' });

const ADMIN = { username: 'ada', displayName: 'Ada Lovelace', password: 'correct horse battery staple' };
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'feature_impact');

/** scikit-learn's permutation-importance ranking of a fixture model. */
function sklearnRanking(model: string): string[] {
  const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
    models: { name: string; ranking: string[] }[];
  };
  const entry = expected.models.find((m) => m.name === model);
  if (!entry) throw new Error(`no fixture model ${model}`);
  return entry.ranking;
}

function origin(testInfo: TestInfo): { Origin: string } {
  const baseURL = testInfo.project.use.baseURL;
  if (!baseURL) throw new Error('E2E_HYDRATED_URL / E2E_NOJS_URL must be set; start the servers with end2end/run.sh');
  return { Origin: new URL(baseURL).origin };
}

async function signIn(page: Page, testInfo: TestInfo) {
  const serverLog = (testInfo.project.metadata as Record<string, string | undefined>).serverLog;
  const token = serverLog
    ? [...readFileSync(serverLog, 'utf8').matchAll(/\/setup\?token=([0-9a-f]{64})\b/g)].at(-1)?.[1]
    : undefined;
  if (token) {
    await page.goto(`/setup?token=${token}`);
    if ((await page.getByText('This setup link is not valid').count()) === 0) {
      await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
      await page.getByLabel('Display name', { exact: true }).fill(ADMIN.displayName);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByLabel('Confirm password', { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: 'Create admin', exact: true }).click();
    }
  }
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/models');
}

/** A regression model with one version per ONNX file, all trained on the diabetes data. */
async function setUp(page: Page, testInfo: TestInfo, model: string, onnxFiles: string[]) {
  const headers = origin(testInfo);
  const created = await page.request.post('/api/v1/models', {
    headers,
    data: { name: model, target_type: 'regression', target_name: 'target' },
  });
  expect(created.status(), await created.text()).toBe(201);
  const dataset = await page.request.post('/api/v1/datasets', {
    headers,
    multipart: {
      file: { name: 'diabetes.csv', mimeType: 'text/csv', buffer: readFileSync(join(FIXTURES, 'diabetes.csv')) },
    },
  });
  expect(dataset.status(), await dataset.text()).toBe(201);
  const datasetId = ((await dataset.json()) as { id: string }).id;
  for (const file of onnxFiles) {
    const version = await page.request.post(`/api/v1/models/${model}/versions`, {
      headers,
      multipart: {
        files: { name: 'model.onnx', mimeType: 'application/octet-stream', buffer: readFileSync(join(FIXTURES, file)) },
      },
    });
    expect(version.status(), await version.text()).toBe(201);
    const number = ((await version.json()) as { version: string }).version;
    const assigned = await page.request.put(`/api/v1/models/${model}/versions/${number}/training-data`, {
      headers,
      data: { dataset_id: datasetId },
    });
    expect(assigned.status(), await assigned.text()).toBe(200);
  }
}

/** Asks for feature impact on the version page and waits for the chart. */
async function compute(page: Page, testInfo: TestInfo, model: string, version: string) {
  await page.goto(`/models/${model}/versions/${version}`);
  await expectInteractive(page, testInfo);
  const section = page.getByRole('region', { name: 'Feature impact' });
  await expect(section.getByTestId('feature-impact-empty')).toBeVisible();
  await section.getByLabel('Rows to sample', { exact: true }).fill('442');
  await section.getByRole('button', { name: 'Compute feature impact', exact: true }).click();
  const chart = section.getByTestId('feature-impact-chart');
  if (testInfo.project.name === 'hydrated') {
    // The job is followed live; the chart replaces the empty state when it ends.
    await expect(chart).toBeVisible({ timeout: 30_000 });
  } else {
    // Without JavaScript the page comes back with the job's state and a way to look again.
    await expect(page).toHaveURL((url) => url.pathname === `/models/${model}/versions/${version}`);
    for (let i = 0; i < 60 && (await chart.count()) === 0; i++) {
      const refresh = section.getByRole('link', { name: 'Refresh', exact: true });
      if ((await refresh.count()) > 0) await refresh.click();
      else await page.reload();
      await page.waitForTimeout(250);
    }
    await expect(chart).toBeVisible();
  }
  await expect(chart).toContainText('Permutation');
  return chart;
}

test('feature impact computed on the version page matches scikit-learn and compares across versions', async ({
  page,
}, testInfo) => {
  const model = `computed-${testInfo.project.name}`;
  await signIn(page, testInfo);
  await setUp(page, testInfo, model, ['diabetes_random_forest.onnx', 'diabetes_linear.onnx']);

  const forest = await compute(page, testInfo, model, '0.1.0');
  const top = sklearnRanking('diabetes_random_forest')[0];
  await expect(forest.getByRole('img').first()).toHaveAccessibleName(new RegExp(`^${top}: normalized 1\\.000, `));
  await expect(forest.getByRole('img')).toHaveCount(10);

  const linear = await compute(page, testInfo, model, '0.2.0');
  const linearTop = sklearnRanking('diabetes_linear')[0];
  await expect(linear.getByRole('img').first()).toHaveAccessibleName(new RegExp(`^${linearTop}: normalized 1\\.000, `));

  await page.goto(`/models/${model}/compare?a=0.1.0&b=0.2.0`);
  await expectInteractive(page, testInfo);
  const compared = page.getByTestId('feature-impact-compare-chart');
  await expect(compared.getByRole('img', { name: new RegExp(`^${top} in 0\\.1\\.0: normalized 1\\.000`) })).toBeVisible();
  await expect(compared.getByRole('img', { name: new RegExp(`^${linearTop} in 0\\.2\\.0: normalized 1\\.000`) })).toBeVisible();
});
