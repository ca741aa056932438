// Uploading a new version from the browser. Hydrated: a whole folder goes up file by file with
// progress bars, keeps its relative paths and opens the new version; "Cancel upload" leaves no
// version behind. Without JavaScript: the same form is a plain multipart post, and a refused post
// comes back to the form with the error shown and the field marked. Each test makes its own model
// through the REST API, so it does not depend on what other spec files left behind.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, expectInteractive, test, type Page, type TestInfo } from './fixtures';

test.describe.configure({ mode: 'serial' });

const ADMIN = {
  username: 'ada',
  displayName: 'Ada Lovelace',
  password: 'correct horse battery staple',
};

const MIB = 1024 * 1024;

function path(expected: string) {
  return (url: URL) => url.pathname === expected;
}

function baseURLOf(testInfo: TestInfo): string {
  const baseURL = testInfo.project.use.baseURL;
  if (!baseURL) {
    throw new Error('E2E_HYDRATED_URL / E2E_NOJS_URL must be set; start the servers with end2end/run.sh');
  }
  return baseURL;
}

/** Creates the first admin if nobody has yet (this file may run on its own), then signs in. */
async function signIn(page: Page, testInfo: TestInfo) {
  const serverLog = (testInfo.project.metadata as Record<string, string | undefined>).serverLog;
  const token = serverLog
    ? [...readFileSync(serverLog, 'utf8').matchAll(/\/setup\?token=([0-9a-f]{64})\b/g)].at(-1)?.[1]
    : undefined;
  if (token) {
    await page.goto(`/setup?token=${token}`);
    const setupHeading = page.getByRole('heading', { name: 'Create the first admin' });
    const invalid = page.getByText('This setup link is not valid');
    await expect(setupHeading).toBeVisible();
    if ((await invalid.count()) === 0) {
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

/** A model of our own, through the REST API with the browser's session (same-origin rule: Origin). */
async function createModel(page: Page, testInfo: TestInfo, name: string) {
  const response = await page.request.post('/api/v1/models', {
    headers: { Origin: baseURLOf(testInfo) },
    data: { name, description: 'Made by the upload tests.' },
  });
  expect(response.status(), await response.text()).toBe(201);
}

async function listVersions(page: Page, model: string): Promise<{ version: string; state: string }[]> {
  const response = await page.request.get(`/api/v1/models/${model}/versions`);
  expect(response.status()).toBe(200);
  return (await response.json()).data;
}

async function getVersion(page: Page, model: string, version: string) {
  const response = await page.request.get(`/api/v1/models/${model}/versions/${version}`);
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

/** Bytes that are not all alike, so nothing along the way can shortcut them. */
function bytes(size: number, seed: number): Buffer {
  const buffer = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    buffer.writeUInt32LE(x, i);
  }
  return buffer;
}

/** A folder as a data scientist would drop it: nested files, a requirements.txt, one big file. */
const FOLDER_FILES: Record<string, Buffer> = {
  'requirements.txt': Buffer.from('scikit-learn==1.5.0\nnumpy>=1.26\n'),
  'README.md': Buffer.from('# Churn bundle\n'),
  'model/weights.bin': bytes(8 * MIB, 7),
  'model/config/params.json': Buffer.from('{"depth": 6}\n'),
};

function makeFolder(): { root: string; folder: string } {
  const root = mkdtempSync(join(tmpdir(), 'modelyard-upload-'));
  const folder = join(root, 'bundle');
  for (const [relative, content] of Object.entries(FOLDER_FILES)) {
    const file = join(folder, relative);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
  }
  return { root, folder };
}

/**
 * Remembers, for every progress bar the page shows, the furthest it got (value / max), even if the
 * page moves on right after: a MutationObserver sees every change of a bar.
 */
/** Picks files the way a person does: the button opens the file chooser. */
async function choose(page: Page, button: 'Choose files' | 'Choose folder', files: Parameters<Page['setInputFiles']>[1]) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: button, exact: true }).click();
  await (await chooser).setFiles(files);
}

/** Records the highest value each progress bar reaches, in the tab's session storage: the
 * finished upload opens the version's page as a new page, and the record must outlive it. */
async function recordProgress(page: Page) {
  await page.evaluate(() => {
    const seen: Record<string, number> = {};
    const note = () => {
      for (const bar of document.querySelectorAll('progress')) {
        const label = bar.getAttribute('aria-label') ?? '';
        const ratio = bar.max > 0 ? bar.value / bar.max : 0;
        seen[label] = Math.max(seen[label] ?? 0, ratio);
      }
      sessionStorage.setItem('progressSeen', JSON.stringify(seen));
    };
    new MutationObserver(note).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['value', 'max'],
    });
  });
}

test('hydrated: a dropped-in folder uploads with progress and keeps its relative paths', { tag: '@js' }, async ({ page }, testInfo) => {
  const model = 'upload-folder';
  const { root, folder } = makeFolder();
  try {
    await signIn(page, testInfo);
    await createModel(page, testInfo, model);

    await page.goto(`/models/${model}/upload`);
    await expectInteractive(page, testInfo);
    await expect(page.getByRole('heading', { name: 'Upload a new version', exact: true })).toBeVisible();
    await expect(page.getByText('This is the model\'s first version: it will be 0.1.0.')).toBeVisible();
    // The drop zone and its buttons appear once the page is hydrated.
    await expect(page.getByRole('button', { name: 'Choose folder', exact: true })).toBeVisible();
    await choose(page, 'Choose folder', folder);

    const paths = Object.keys(FOLDER_FILES).map((p) => `bundle/${p}`);
    const files = page.getByRole('table', { name: 'Files to upload' });
    for (const p of paths) {
      await expect(files.getByRole('cell', { name: p, exact: true })).toBeVisible();
    }
    await expect(files.getByRole('row').filter({ hasText: 'bundle/model/weights.bin' })).toContainText('8.0 MiB');

    await page.getByLabel('Description', { exact: true }).fill('Uploaded as a folder.');
    await page.getByLabel('Tags', { exact: true }).fill('folder, e2e');
    await page.getByRole('button', { name: 'Add metric', exact: true }).click();
    await page.getByLabel('Metric 1 name', { exact: true }).fill('auc');
    await page.getByLabel('Metric 1 value', { exact: true }).fill('0.91');
    await page.getByLabel('Metric 1 step', { exact: true }).fill('10');
    await page.getByLabel('Library', { exact: true }).fill('scikit-learn');
    await page.getByLabel('Publish right away', { exact: true }).check();

    await recordProgress(page);
    await page.getByRole('button', { name: 'Upload version', exact: true }).click();
    await expect(page).toHaveURL(path(`/models/${model}/versions/0.1.0`));

    // Every bar appeared and reached its end before the version page opened.
    const seen: Record<string, number> = await page.evaluate(() => JSON.parse(sessionStorage.getItem('progressSeen') ?? '{}'));
    expect(seen['Total progress']).toBe(1);
    for (const p of paths) {
      expect(seen[`Progress of ${p}`], `progress of ${p}`).toBe(1);
    }

    const version = await getVersion(page, model, '0.1.0');
    expect(version.state).toBe('published');
    expect(version.description).toBe('Uploaded as a folder.');
    expect(version.tags).toEqual(['folder', 'e2e']);
    expect(version.framework.library_name).toBe('scikit-learn');
    expect(version.metrics).toEqual([expect.objectContaining({ key: 'auc', value: 0.91, step: 10 })]);
    const stored = Object.fromEntries(
      (version.files as { path: string; size: number }[]).map((f) => [f.path, f.size]),
    );
    expect(stored).toEqual(Object.fromEntries(paths.map((p, i) => [p, Object.values(FOLDER_FILES)[i].length])));
    // The requirements.txt inside the folder was read.
    expect((version.dependencies as { package_name: string }[]).map((d) => d.package_name)).toContain('scikit-learn');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('hydrated: an invalid path is refused before anything is sent', { tag: '@js' }, async ({ page }, testInfo) => {
  const model = 'upload-refused';
  await signIn(page, testInfo);
  await createModel(page, testInfo, model);
  await page.goto(`/models/${model}/upload`);
  await expectInteractive(page, testInfo);
  await expect(page.getByRole('button', { name: 'Choose files', exact: true })).toBeVisible();
  await choose(page, 'Choose files', [
    { name: 'ok.txt', mimeType: 'text/plain', buffer: Buffer.from('fine') },
    { name: 'trailing-dot.', mimeType: 'text/plain', buffer: Buffer.from('no') },
  ]);
  await expect(page.getByRole('cell', { name: 'ok.txt', exact: true })).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'Some files were left out' })).toContainText(
    'trailing-dot.',
  );
  await expect(page.getByRole('cell', { name: 'trailing-dot.', exact: true })).toHaveCount(0);
  // A picked file can be taken off the list again.
  await page.getByRole('button', { name: 'Remove ok.txt', exact: true }).click();
  await expect(page.getByText('No files picked yet.')).toBeVisible();
});

test('hydrated: canceling an upload deletes the draft, so no new version remains', { tag: '@js' }, async ({ page }, testInfo) => {
  const model = 'upload-cancel';
  await signIn(page, testInfo);
  await createModel(page, testInfo, model);
  // An existing version: the canceled upload would have been 0.2.0.
  const first = await page.request.post(`/api/v1/models/${model}/versions`, {
    headers: { Origin: baseURLOf(testInfo) },
    data: { publish: true },
  });
  expect(first.status(), await first.text()).toBe(201);

  // A connection so slow that the big file is still on its way when we cancel.
  await page.route('**/files/**', () => {
    // Never answered: the request stays in flight until the page aborts it.
  });

  await page.goto(`/models/${model}/upload`);
  await expectInteractive(page, testInfo);
  await expect(page.getByText('The latest version is 0.1.0; this one will be 0.2.0.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Choose files', exact: true })).toBeVisible();
  await choose(page, 'Choose files', [
    { name: 'big.bin', mimeType: 'application/octet-stream', buffer: bytes(8 * MIB, 11) },
  ]);
  await page.getByRole('button', { name: 'Upload version', exact: true }).click();

  await expect(page.getByRole('progressbar', { name: 'Progress of big.bin' })).toBeVisible();
  await expect(page.getByRole('progressbar', { name: 'Total progress' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('Uploading files to draft version 0.2.0');
  expect((await listVersions(page, model)).map((v) => v.version)).toEqual(['0.2.0', '0.1.0']);

  await page.getByRole('button', { name: 'Cancel upload', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Upload canceled: the draft version was deleted');
  await expect(page).toHaveURL(path(`/models/${model}/upload`));
  expect((await listVersions(page, model)).map((v) => v.version)).toEqual(['0.1.0']);
  await page.unrouteAll({ behavior: 'ignoreErrors' });
});

test('no JavaScript: the plain form uploads files and opens the new version', { tag: '@no-js' }, async ({ page }, testInfo) => {
  const model = 'upload-plain';
  await signIn(page, testInfo);
  await createModel(page, testInfo, model);

  await page.goto(`/models/${model}/upload`);
  await expectInteractive(page, testInfo);
  await expect(page.getByRole('heading', { name: 'Upload a new version', exact: true })).toBeVisible();
  await expect(page.getByLabel('Minor (0.1.0)')).toBeChecked();
  await page.getByLabel('Files', { exact: true }).setInputFiles([
    { name: 'weights.bin', mimeType: 'application/octet-stream', buffer: bytes(256 * 1024, 3) },
    { name: 'requirements.txt', mimeType: 'text/plain', buffer: Buffer.from('xgboost>=2\n') },
  ]);
  await page.getByLabel('Description', { exact: true }).fill('Uploaded without JavaScript.');
  await page.getByLabel('Tags', { exact: true }).fill('plain');
  await page.getByLabel('Metrics (JSON)', { exact: true }).fill('[{"key": "rmse", "value": 1.5}]');
  await page.getByLabel('Library', { exact: true }).fill('xgboost');
  await page.getByLabel('Python version', { exact: true }).fill('3.11');
  await page.getByLabel('Pip packages', { exact: true }).fill('pandas\nnumpy>=1.26');
  await page.getByLabel('Run ID', { exact: true }).fill('run-42');
  await page.getByLabel('Publish right away', { exact: true }).check();
  await page.getByRole('button', { name: 'Upload version', exact: true }).click();

  await expect(page).toHaveURL(path(`/models/${model}/versions/0.1.0`));
  const version = await getVersion(page, model, '0.1.0');
  expect(version.state).toBe('published');
  expect(version.run_id).toBe('run-42');
  expect(version.environment).toEqual({ python_version: '3.11', pip_packages: ['pandas', 'numpy>=1.26'] });
  expect(version.metrics).toEqual([expect.objectContaining({ key: 'rmse', value: 1.5 })]);
  expect((version.files as { path: string }[]).map((f) => f.path).sort()).toEqual(['requirements.txt', 'weights.bin']);
});

test('no JavaScript: a new version can start from an older one and leave files out', { tag: '@no-js' }, async ({ page }, testInfo) => {
  const model = 'upload-based';
  await signIn(page, testInfo);
  await createModel(page, testInfo, model);
  const form = new FormData();
  form.append('publish', 'true');
  form.append('keep', new Blob(['kept']), 'keep.txt');
  form.append('drop', new Blob(['dropped']), 'old/drop.txt');
  const first = await page.request.post(`/api/v1/models/${model}/versions`, {
    headers: { Origin: baseURLOf(testInfo) },
    multipart: form,
  });
  expect(first.status(), await first.text()).toBe(201);

  await page.goto(`/models/${model}/upload`);
  await expectInteractive(page, testInfo);
  await page.getByLabel('Start from version', { exact: true }).selectOption('0.1.0');
  await page.getByRole('button', { name: 'Show its files', exact: true }).click();
  await expect(page.getByText('Files of 0.1.0: tick the ones to leave out')).toBeVisible();
  await expect(page.getByLabel('Start from version', { exact: true })).toHaveValue('0.1.0');
  await page.getByLabel('Remove old/drop.txt', { exact: true }).check();
  await page.getByLabel('Patch (0.1.1)').check();
  await page.getByLabel('Files', { exact: true }).setInputFiles([
    { name: 'new.txt', mimeType: 'text/plain', buffer: Buffer.from('new') },
  ]);
  await page.getByRole('button', { name: 'Upload version', exact: true }).click();

  await expect(page).toHaveURL(path(`/models/${model}/versions/0.1.1`));
  const version = await getVersion(page, model, '0.1.1');
  expect(version.state).toBe('draft');
  expect((version.files as { path: string }[]).map((f) => f.path).sort()).toEqual(['keep.txt', 'new.txt']);
});

test('no JavaScript: a refused upload comes back with the error and the field marked', { tag: '@no-js' }, async ({ page }, testInfo) => {
  const model = 'upload-plain-refused';
  await signIn(page, testInfo);
  await createModel(page, testInfo, model);

  await page.goto(`/models/${model}/upload`);
  await expectInteractive(page, testInfo);
  await page.getByLabel('Files', { exact: true }).setInputFiles([
    { name: 'weights.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('w') },
  ]);
  await page.getByLabel('Metrics (JSON)', { exact: true }).fill('{"key": "auc"');
  await page.getByRole('button', { name: 'Upload version', exact: true }).click();

  await expect(page).toHaveURL(path(`/models/${model}/upload`));
  await expect(page.getByRole('alert')).toContainText("The form field 'metrics' is not valid JSON");
  await expect(page.getByLabel('Metrics (JSON)', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Tags', { exact: true })).not.toHaveAttribute('aria-invalid', 'true');
  // Nothing was half-created.
  expect(await listVersions(page, model)).toEqual([]);
});
