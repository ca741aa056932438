// Datasets and training data as a data scientist meets them: upload a CSV file on the Datasets
// page, read its row count, column types and first rows, give it to a version of a model as its
// training data, and see it there; a malformed file, a dataset without the model's target column
// and deleting a dataset in use are explained where they happen. Runs in both projects, so every
// form is used hydrated and with JavaScript off.
//
// Named to run after journey.spec.ts, which sets up the admin this file signs in as (run on its
// own, it sets the admin up itself).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, expectInteractive, test, type Page, type TestInfo } from './fixtures';

test.describe.configure({ mode: 'serial' });

const ADMIN = { username: 'ada', displayName: 'Ada Lovelace', password: 'correct horse battery staple' };
const DIABETES_CSV = join(__dirname, '..', '..', 'fixtures', 'feature_impact', 'diabetes.csv');

function path(expected: string) {
  return (url: URL) => url.pathname === expected;
}

function origin(testInfo: TestInfo): { Origin: string } {
  const baseURL = testInfo.project.use.baseURL;
  if (!baseURL) throw new Error('E2E_HYDRATED_URL / E2E_NOJS_URL must be set; start the servers with end2end/run.sh');
  return { Origin: new URL(baseURL).origin };
}

/** Creates the first admin if nobody has yet (this file may run on its own), then signs in. */
async function signIn(page: Page, testInfo: TestInfo) {
  const serverLog = (testInfo.project.metadata as Record<string, string | undefined>).serverLog;
  const token = serverLog
    ? [...readFileSync(serverLog, 'utf8').matchAll(/\/setup\?token=([0-9a-f]{64})\b/g)].at(-1)?.[1]
    : undefined;
  if (token) {
    await page.goto(`/setup?token=${token}`);
    await expect(page.getByRole('heading', { name: 'Create the first admin' })).toBeVisible();
    if ((await page.getByText('This setup link is not valid').count()) === 0) {
      await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
      await page.getByLabel('Display name', { exact: true }).fill(ADMIN.displayName);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByLabel('Confirm password', { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: 'Create admin', exact: true }).click();
      await expect(page).toHaveURL(path('/login'));
    }
  }
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(path('/models'));
}

/** A model whose target column is `target`, with one published version, through the REST API. */
async function createModel(page: Page, testInfo: TestInfo, name: string) {
  const headers = origin(testInfo);
  const created = await page.request.post('/api/v1/models', {
    headers,
    data: { name, target_type: 'regression', target_name: 'target' },
  });
  expect(created.status(), await created.text()).toBe(201);
  const version = await page.request.post(`/api/v1/models/${name}/versions`, { headers, data: { publish: true } });
  expect(version.status(), await version.text()).toBe(201);
}

/** A dataset uploaded through the REST API with the browser's session. */
async function uploadDataset(page: Page, testInfo: TestInfo, name: string, csv: string) {
  const created = await page.request.post('/api/v1/datasets', {
    headers: origin(testInfo),
    multipart: { name, file: { name: `${name}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') } },
  });
  expect(created.status(), await created.text()).toBe(201);
}

function columnRow(page: Page, column: string) {
  return page
    .getByRole('table', { name: 'Columns' })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: column, exact: true }) });
}

test('a CSV file uploaded on the Datasets page becomes a version’s training data', async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const model = `diabetes-${project}`;
  const dataset = `diabetes-ui-${project}`;
  const featuresOnly = `features-only-${project}`;
  await signIn(page, testInfo);
  await createModel(page, testInfo, model);

  // Upload through the page's form.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets', exact: true }).click();
  await expect(page).toHaveURL(path('/datasets'));
  await expect(page.getByRole('heading', { name: 'Datasets', level: 1 })).toBeVisible();
  await expectInteractive(page, testInfo);
  await page.getByLabel('Name', { exact: true }).fill(dataset);
  await page.getByLabel('CSV file', { exact: true }).setInputFiles(DIABETES_CSV);
  await page.getByRole('button', { name: 'Upload dataset', exact: true }).click();

  // Its page: rows, columns with their types, the first rows.
  await expect(page).toHaveURL(/\/datasets\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name: dataset, level: 1 })).toBeVisible();
  await expect(page.getByTestId('dataset-rows')).toHaveText('442');
  await expect(columnRow(page, 'bmi')).toContainText('numeric');
  await expect(columnRow(page, 'target')).toContainText('numeric');
  const preview = page.getByRole('table', { name: 'Preview' });
  await expect(preview.getByRole('columnheader', { name: 'bmi', exact: true })).toBeVisible();
  await expect(preview.getByRole('cell', { name: '0.038075906433423026', exact: true })).toBeVisible();
  await expect(page.getByText('The first 20 of 442 rows.')).toBeVisible();
  await expect(page.getByText('No version you can see uses this dataset.')).toBeVisible();
  const datasetUrl = page.url();

  // The list shows it.
  await page.getByRole('link', { name: 'Datasets', exact: true }).first().click();
  await expect(page).toHaveURL(path('/datasets'));
  const listed = page.getByRole('table', { name: 'Datasets' }).getByRole('row').filter({ hasText: dataset });
  await expect(listed).toContainText('442');
  await expect(listed).toContainText(ADMIN.username);

  // A malformed file is refused next to the file field, naming the line.
  await page.getByLabel('CSV file', { exact: true }).setInputFiles({
    name: 'ragged.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('a,b\n1,2\n3\n', 'utf8'),
  });
  await page.getByRole('button', { name: 'Upload dataset', exact: true }).click();
  await expect(page).toHaveURL(path('/datasets'));
  await expect(page.getByRole('alert').filter({ hasText: 'Line 3 has 1 field, the header has 2.' })).toBeVisible();
  await expect(page.getByLabel('CSV file', { exact: true })).toHaveAttribute('aria-invalid', 'true');

  // The version page: no training data yet; assign the uploaded dataset.
  await uploadDataset(page, testInfo, featuresOnly, 'age,bmi\n1,2\n');
  await page.goto(`/models/${model}/versions/0.1.0`);
  await expectInteractive(page, testInfo);
  await expect(page.getByRole('heading', { name: 'Training data', level: 2 })).toBeVisible();
  await expect(page.getByTestId('training-dataset')).toHaveText('None');

  // A dataset without the model's target column is explained next to the field.
  await page.getByLabel('Training dataset', { exact: true }).selectOption({ label: featuresOnly });
  await page.getByRole('button', { name: 'Assign training data', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: "has no column 'target'" })).toBeVisible();
  await expect(page.getByTestId('training-dataset')).toHaveText('None');

  await page.getByLabel('Training dataset', { exact: true }).selectOption({ label: dataset });
  await page.getByRole('button', { name: 'Assign training data', exact: true }).click();
  await expect(page.getByTestId('training-dataset')).toHaveText(dataset);
  await expect(page.getByTestId('holdout-dataset')).toHaveText('None');
  await expect(page.getByRole('alert').filter({ hasText: "has no column 'target'" })).toHaveCount(0);

  // It is still there on a fresh load, and links to the dataset, which names the version.
  await page.goto(`/models/${model}/versions/0.1.0`);
  await expectInteractive(page, testInfo);
  await page.getByTestId('training-dataset').getByRole('link', { name: dataset, exact: true }).click();
  await expect(page).toHaveURL(datasetUrl);
  await expect(page.getByRole('link', { name: `${model}:0.1.0`, exact: true })).toBeVisible();
  await expect(page.getByText('— training data')).toBeVisible();

  // A dataset in use cannot be deleted: the page says which version uses it.
  await expectInteractive(page, testInfo);
  await page.getByText('Delete this dataset…', { exact: true }).click();
  await page.getByRole('button', { name: `Delete ${dataset} permanently`, exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: `${model} 0.1.0 (training)` })).toBeVisible();

  // Clearing the training data from the version page.
  await page.goto(`/models/${model}/versions/0.1.0`);
  await expectInteractive(page, testInfo);
  await page.getByRole('button', { name: 'Clear training data', exact: true }).click();
  await expect(page.getByTestId('training-dataset')).toHaveText('None');
  await expect(page.getByRole('button', { name: 'Clear training data', exact: true })).toHaveCount(0);
});
