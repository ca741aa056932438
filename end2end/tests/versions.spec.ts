// Browsing and managing a model's versions, as a data scientist does after a CI pipeline has
// pushed a few: the version page (files, previews, dependencies, usage, zip download), promoting
// a version, naming one with an alias, deleting a draft, comparing two versions and the metric
// charts. Runs after journey.spec.ts (which creates the admin) in both projects, so every form is
// used hydrated and with JavaScript off.
import { readFileSync } from 'node:fs';
import type { APIRequestContext } from '@playwright/test';
import { expect, expectInteractive, test, type Page, type TestInfo } from './fixtures';

test.describe.configure({ mode: 'serial' });

const ADMIN = { username: 'ada', displayName: 'Ada Lovelace', password: 'correct horse battery staple' };

const README = '# Vision\n\nClassifies product photos.\n';
const TRAIN_PY = 'def train():\n    return "trained"\n';
const REQUIREMENTS_V1 = 'numpy==1.26.0\nrequests>=2.0\n';
const REQUIREMENTS_V2 = 'numpy==1.26.4\npandas[performance]>=2.0 ; python_version >= "3.9"\n';
/** Not text: it has NUL bytes. */
const WEIGHTS_V1 = Buffer.from([0, 1, 2, 3, 0, 255, 254, 0]);
const WEIGHTS_V2 = Buffer.from([0, 9, 8, 7, 0, 255, 254, 0, 1]);
const CONFIG_JSON = '{"layers": 4}\n';

function modelName(testInfo: TestInfo): string {
  return `vision-${testInfo.project.name}`;
}

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

/** An API token made with the browser's session, as a person would make one for a pipeline. */
async function apiToken(page: Page, baseURL: string): Promise<string> {
  const response = await page.request.post('/api/v1/tokens', {
    headers: { Origin: new URL(baseURL).origin },
    data: { name: `versions-spec-${Date.now()}` },
  });
  expect(response.status(), await response.text()).toBe(201);
  const body = (await response.json()) as { token: string };
  return body.token;
}

type Part = { name: string; mimeType: string; buffer: Buffer };

function textFile(name: string, text: string): Part {
  return { name, mimeType: 'text/plain', buffer: Buffer.from(text, 'utf8') };
}

/** What a CI pipeline does: upload a version's files with its metrics, and maybe publish it. */
async function pushVersion(
  request: APIRequestContext,
  token: string,
  model: string,
  files: Part[],
  metrics: { key: string; value: number }[],
  publish: boolean,
): Promise<string> {
  const multipart: Record<string, string | Part> = { metrics: JSON.stringify(metrics) };
  files.forEach((file, i) => {
    multipart[`file${i}`] = file;
  });
  const auth = { Authorization: `Bearer ${token}` };
  const created = await request.post(`/api/v1/models/${model}/versions`, { headers: auth, multipart });
  expect(created.status(), await created.text()).toBe(201);
  const { version } = (await created.json()) as { version: string };
  if (publish) {
    const published = await request.post(`/api/v1/models/${model}/versions/${version}/publish`, { headers: auth });
    expect(published.status(), await published.text()).toBe(200);
  }
  return version;
}

/** The names of the entries of a zip archive, read from its central directory. */
function zipEntries(zip: Buffer): string[] {
  const endSignature = 0x06054b50;
  let end = -1;
  for (let i = zip.length - 22; i >= 0; i--) {
    if (zip.readUInt32LE(i) === endSignature) {
      end = i;
      break;
    }
  }
  expect(end, 'the download is a zip archive').toBeGreaterThanOrEqual(0);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(offset)).toBe(0x02014b50);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.subarray(offset + 46, offset + 46 + nameLength).toString('utf8'));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names.sort();
}

function versionRow(page: Page, version: string) {
  return page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: version, exact: true }) });
}

test('a data scientist browses, promotes, aliases, deletes and compares versions', async ({ page }, testInfo) => {
  const baseURL = testInfo.project.use.baseURL;
  if (!baseURL) throw new Error('start the servers with end2end/run.sh');
  const model = modelName(testInfo);

  await signIn(page);
  const token = await apiToken(page, baseURL);
  const auth = { Authorization: `Bearer ${token}` };
  const createdModel = await page.request.post('/api/v1/models', {
    headers: auth,
    data: { name: model, description: 'Product photo classifier.' },
  });
  expect(createdModel.status(), await createdModel.text()).toBe(201);

  // A model with no versions says so, and has nothing to compare.
  await page.goto(`/models/${model}/versions`);
  await expect(page.getByText('This model has no versions yet.')).toBeVisible();
  await page.goto(`/models/${model}/compare`);
  await expect(page.getByText('Comparing needs at least two versions')).toBeVisible();

  const v1 = await pushVersion(
    page.request,
    token,
    model,
    [
      textFile('README.md', README),
      textFile('requirements.txt', REQUIREMENTS_V1),
      textFile('src/train.py', TRAIN_PY),
      { name: 'weights.bin', mimeType: 'application/octet-stream', buffer: WEIGHTS_V1 },
    ],
    [
      { key: 'accuracy', value: 0.81 },
      { key: 'loss', value: 0.52 },
    ],
    true,
  );
  const v2 = await pushVersion(
    page.request,
    token,
    model,
    [
      textFile('README.md', README),
      textFile('requirements.txt', REQUIREMENTS_V2),
      textFile('src/train.py', TRAIN_PY),
      textFile('config.json', CONFIG_JSON),
      { name: 'weights.bin', mimeType: 'application/octet-stream', buffer: WEIGHTS_V2 },
    ],
    [
      { key: 'accuracy', value: 0.86 },
      { key: 'loss', value: 0.41 },
    ],
    true,
  );
  const draft = await pushVersion(page.request, token, model, [textFile('notes.txt', 'work in progress\n')], [], false);
  expect([v1, v2, draft]).toEqual(['0.1.0', '0.2.0', '0.3.0']);

  // Overview: the primary version, and a server-rendered chart per metric.
  await page.goto(`/models/${model}`);
  await expect(page.getByRole('heading', { level: 1, name: model, exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: `Primary version ${v2}` })).toBeVisible();
  const accuracyChart = page.getByRole('img', { name: 'accuracy by version', exact: true });
  await expect(accuracyChart).toBeVisible();
  expect(await accuracyChart.evaluate((el) => el.tagName.toLowerCase())).toBe('svg');
  await expect(accuracyChart).toContainText(v1);
  await expect(accuracyChart).toContainText(v2);
  await expect(page.getByRole('img', { name: 'loss by version', exact: true })).toBeVisible();

  // The version page: files as a tree, previews, dependencies, usage.
  await page.getByRole('link', { name: `Primary version ${v2}` }).click();
  await expect(page).toHaveURL(path(`/models/${model}/versions/${v2}`));
  await expect(page.getByRole('heading', { level: 1, name: `${model}:${v2}`, exact: true })).toBeVisible();
  const tree = page.getByTestId('file-tree');
  for (const file of ['README.md', 'config.json', 'requirements.txt', 'train.py', 'weights.bin']) {
    await expect(tree.getByRole('link', { name: file, exact: true })).toBeVisible();
  }
  await expect(tree.getByText('src/', { exact: true })).toBeVisible();

  await tree.getByRole('link', { name: 'README.md', exact: true }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('file') === 'README.md');
  await expect(page.getByRole('heading', { name: 'Preview of README.md' })).toBeVisible();
  await expect(page.getByLabel('File contents')).toContainText('Classifies product photos.');

  await tree.getByRole('link', { name: 'train.py', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Preview of src/train.py' })).toBeVisible();
  await expect(page.getByLabel('File contents')).toContainText('return "trained"');

  await tree.getByRole('link', { name: 'weights.bin', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Preview of weights.bin' })).toBeVisible();
  await expect(page.getByText('Binary file')).toBeVisible();

  const dependencies = page.getByRole('table', { name: 'Dependencies' });
  await expect(dependencies.getByRole('row').filter({ hasText: 'numpy' })).toContainText('==1.26.4');
  const pandas = dependencies.getByRole('row').filter({ hasText: 'pandas' });
  await expect(pandas).toContainText('performance');
  await expect(pandas).toContainText('>=2.0');
  await expect(pandas).toContainText('python_version');
  await expect(pandas).toContainText('line 2');

  await expect(page.getByTestId('usage-curl')).toContainText(`/api/v1/models/${model}/versions/${v2}/download`);
  await expect(page.getByTestId('usage-python')).toContainText('zipfile');
  if (testInfo.project.name === 'no-js') {
    // Copying needs JavaScript: without it there is no dead button, and the snippet stays
    // selectable text.
    await expect(page.getByRole('button', { name: 'Copy curl snippet' })).toHaveCount(0);
  } else {
    await expectInteractive(page, testInfo);
    await expect(page.getByRole('button', { name: 'Copy curl snippet' })).toBeVisible();
  }

  // Download the whole version as a zip.
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download zip', exact: true }).click();
  const download = await downloading;
  const saved = await download.path();
  expect(zipEntries(readFileSync(saved))).toEqual([
    'README.md',
    'config.json',
    'requirements.txt',
    'src/train.py',
    'weights.bin',
  ]);

  // An unknown version is a real 404.
  const missing = await page.goto(`/models/${model}/versions/9.9.9`);
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole('alert')).toBeVisible();

  // Versions tab: promote the older version; the primary badge moves.
  await page.goto(`/models/${model}`);
  await page.getByRole('navigation', { name: 'Model sections' }).getByRole('link', { name: 'Versions' }).click();
  await expect(page).toHaveURL(path(`/models/${model}/versions`));
  await expect(versionRow(page, v2)).toContainText('primary');
  await expect(versionRow(page, v1)).not.toContainText('primary');
  await expect(versionRow(page, draft)).toContainText('draft');
  await versionRow(page, v1).getByRole('button', { name: `Promote ${v1}` }).click();
  await expect(versionRow(page, v1)).toContainText('primary');
  await expect(versionRow(page, v2)).not.toContainText('primary');
  await expect(page).toHaveURL(path(`/models/${model}/versions`));

  // The promoted primary cannot be deactivated: the refusal is explained, nothing changes.
  await versionRow(page, v1).getByRole('button', { name: `Deactivate ${v1}` }).click();
  await expect(page.getByRole('alert').filter({ hasText: `Version ${v1} is the model's promoted primary version.` })).toBeVisible();
  await expect(versionRow(page, v1)).not.toContainText('inactive');

  // Another version can be deactivated and reactivated.
  await versionRow(page, v2).getByRole('button', { name: `Deactivate ${v2}` }).click();
  await expect(versionRow(page, v2)).toContainText('inactive');
  await versionRow(page, v2).getByRole('button', { name: `Reactivate ${v2}` }).click();
  await expect(versionRow(page, v2)).not.toContainText('inactive');
  await expect(versionRow(page, v2).getByRole('button', { name: `Deactivate ${v2}` })).toBeVisible();

  // Delete the draft, after confirming.
  const draftRow = versionRow(page, draft);
  await draftRow.getByText(`Delete…`).click();
  await expect(draftRow.getByText(`Delete version ${draft} and its files? This cannot be undone.`)).toBeVisible();
  await draftRow.getByRole('button', { name: `Delete ${draft} permanently` }).click();
  await expect(page.getByRole('link', { name: draft, exact: true })).toHaveCount(0);
  await expect(page).toHaveURL(path(`/models/${model}/versions`));
  await expect(page.getByText('Showing 1–2 of 2')).toBeVisible();
  // No other row inherits the deleted row's open confirmation.
  await expect(page.locator('details[open]')).toHaveCount(0);

  // Settings: name v2 "production"; the alias shows on the overview, with its history.
  await page.getByRole('navigation', { name: 'Model sections' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(path(`/models/${model}/settings`));
  await expect(page.getByText('No aliases yet.')).toBeVisible();
  await page.getByLabel('Alias', { exact: true }).fill('production');
  await page.getByLabel('Version', { exact: true }).selectOption(v2);
  await page.getByLabel('Protected', { exact: true }).check();
  await page.getByRole('button', { name: 'Set alias', exact: true }).click();
  const aliasRow = page.getByRole('row').filter({ hasText: 'production' });
  await expect(aliasRow).toContainText(v2);
  await expect(aliasRow).toContainText('protected');
  await aliasRow.getByRole('link', { name: 'History of production' }).click();
  await expect(page.getByRole('heading', { name: 'History of production' })).toBeVisible();
  await expect(page.locator('#alias-history').getByRole('row').nth(1)).toContainText(v2);

  await page.getByRole('navigation', { name: 'Model sections' }).getByRole('link', { name: 'Overview' }).click();
  await expect(page).toHaveURL(path(`/models/${model}`));
  const aliases = page.getByRole('list', { name: 'Aliases' });
  await expect(aliases).toContainText('production');
  await expect(aliases.getByRole('link', { name: v2, exact: true })).toBeVisible();

  // Compare the two versions: metric deltas, dependencies and files that differ.
  await page.getByRole('link', { name: 'Compare', exact: true }).click();
  await expect(page).toHaveURL(path(`/models/${model}/compare`));
  await page.getByLabel('Version A').selectOption(v1);
  await page.getByLabel('Version B').selectOption(v2);
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('a') === v1 && url.searchParams.get('b') === v2);
  const metricDiff = page.getByRole('table', { name: 'Metric differences' });
  await expect(metricDiff.getByRole('row').filter({ hasText: 'accuracy' })).toContainText('+0.05');
  await expect(metricDiff.getByRole('row').filter({ hasText: 'loss' })).toContainText('-0.11');
  const dependencyDiff = page.getByRole('table', { name: 'Dependency differences' });
  await expect(dependencyDiff.getByRole('row').filter({ hasText: 'pandas' })).toContainText('added');
  await expect(dependencyDiff.getByRole('row').filter({ hasText: 'requests' })).toContainText('removed');
  await expect(dependencyDiff.getByRole('row').filter({ hasText: 'numpy' })).toContainText('changed');
  const fileDiff = page.getByRole('table', { name: 'File differences' });
  await expect(fileDiff.getByRole('row').filter({ hasText: 'config.json' })).toContainText('added');
  await expect(fileDiff.getByRole('row').filter({ hasText: 'weights.bin' })).toContainText('changed');
  await expect(page.getByText('2 files are identical in both versions.')).toBeVisible();
});

test('an owner copies a model, then deletes the copy with its only version', async ({ page }, testInfo) => {
  const source = `${modelName(testInfo)}-source`;
  const copy = `${modelName(testInfo)}-copy`;
  await signIn(page);
  const baseURL = testInfo.project.use.baseURL ?? '';
  const token = await apiToken(page, baseURL);
  const auth = { Authorization: `Bearer ${token}` };
  const created = await page.request.post('/api/v1/models', { headers: auth, data: { name: source } });
  expect(created.status(), await created.text()).toBe(201);
  const version = await pushVersion(
    page.request,
    token,
    source,
    [textFile('model/weights.txt', 'weights\n')],
    [{ key: 'accuracy', value: 0.9 }],
    true,
  );

  // Copy it from the Settings tab: the copy opens with the same primary version.
  await page.goto(`/models/${source}/settings`);
  await expectInteractive(page, testInfo);
  await page.getByLabel('New model name').fill(copy);
  await page.getByRole('button', { name: 'Copy model', exact: true }).click();
  await expect(page).toHaveURL(path(`/models/${copy}`));
  await expect(page.getByRole('heading', { name: copy, exact: true })).toBeVisible();
  await expect(page.getByText('Primary version')).toBeVisible();
  await expect(page.getByText(version, { exact: true }).first()).toBeVisible();
  // It says where it came from, with a link back.
  const origin = page.getByTestId('copied-from');
  await expect(origin).toContainText(`Copied from`);
  await expect(origin).toContainText(`${source}, version ${version}`);
  await expect(origin.getByRole('link', { name: source })).toHaveAttribute('href', `/models/${source}`);

  // Deleting the copy's only version says it takes the model along, and does so.
  await page.goto(`/models/${copy}/versions`);
  await expectInteractive(page, testInfo);
  const row = versionRow(page, version);
  await row.getByText('Delete…').click();
  await expect(row.getByText(`${version} is the only version: deleting it also deletes the model ${copy}.`)).toBeVisible();
  await row.getByRole('button', { name: `Delete ${version} permanently` }).click();
  await expect(page).toHaveURL(path('/models'));
  const gone = await page.request.get(`/api/v1/models/${copy}`, { headers: auth });
  expect(gone.status()).toBe(404);

  // The source is untouched and still serves its file.
  const file = await page.request.get(`/api/v1/models/${source}/versions/${version}/files/model/weights.txt`, {
    headers: auth,
  });
  expect(file.status()).toBe(200);
  expect(await file.text()).toBe('weights\n');
});

test('a model with many versions pages through them, newest first', async ({ page }, testInfo) => {
  const model = `${modelName(testInfo)}-many`;
  await signIn(page);
  const token = await apiToken(page, testInfo.project.use.baseURL ?? '');
  const auth = { Authorization: `Bearer ${token}` };
  const created = await page.request.post('/api/v1/models', { headers: auth, data: { name: model } });
  expect(created.status(), await created.text()).toBe(201);
  for (let i = 0; i < 53; i++) {
    const version = await page.request.post(`/api/v1/models/${model}/versions`, {
      headers: auth,
      data: { bump: 'patch', description: `build ${i}` },
    });
    expect(version.status(), await version.text()).toBe(201);
  }

  await page.goto(`/models/${model}/versions`);
  await expectInteractive(page, testInfo);
  await expect(page.getByText('Showing 1–50 of 53')).toBeVisible();
  // 0.1.0 first, then 0.1.1 … 0.1.52: the newest is on top.
  await expect(page.getByRole('link', { name: '0.1.52', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: '0.1.0', exact: true })).toHaveCount(0);
  await page.getByRole('link', { name: 'Next', exact: true }).click();
  await expect(page.getByText('Showing 51–53 of 53')).toBeVisible();
  await expect(page.getByRole('link', { name: '0.1.0', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Next', exact: true })).toHaveCount(0);
  await page.getByRole('link', { name: 'Previous', exact: true }).click();
  await expect(page.getByText('Showing 1–50 of 53')).toBeVisible();
});
