// Access control as people meet it: an owner shares a model and the people it is shared with see
// only what their role lets them do (and the server refuses the rest even when asked directly);
// an anonymous visitor sees public models and a 404 for private ones; an admin runs the console
// (users, teams, tokens, limits, the audit log); an owner reads the model's promotion history;
// everyone can change their own password.
//
// Runs after journey.spec.ts, which creates the admin (this file is named to sort after it; run
// on its own, it creates the admin itself). Runs in both projects, each against its own server,
// so every form is used hydrated and with JavaScript off.
import { readFileSync } from 'node:fs';
import { expect, expectInteractive, test, type Page, type TestInfo } from './fixtures';

test.describe.configure({ mode: 'serial' });

const ADMIN = { username: 'ada', displayName: 'Ada Lovelace', password: 'correct horse battery staple' };
const PASSWORD = 'a long enough password';

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

async function signIn(page: Page, username: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(path('/models'));
}

async function signInAsAdmin(page: Page, testInfo: TestInfo) {
  await ensureAdmin(page, testInfo);
  await signIn(page, ADMIN.username, ADMIN.password);
}

/** A user made by the signed-in admin through the REST API (with the browser's session). */
async function createUser(page: Page, testInfo: TestInfo, username: string, displayName: string) {
  const created = await page.request.post('/api/v1/users', {
    headers: origin(testInfo),
    data: { username, display_name: displayName, password: PASSWORD },
  });
  expect(created.status(), await created.text()).toBe(201);
}

/** A model of the signed-in user's with `versions` published versions, through the REST API. */
async function createModel(page: Page, testInfo: TestInfo, name: string, visibility: string, versions: number) {
  const headers = origin(testInfo);
  const created = await page.request.post('/api/v1/models', { headers, data: { name, visibility } });
  expect(created.status(), await created.text()).toBe(201);
  for (let i = 0; i < versions; i++) {
    const version = await page.request.post(`/api/v1/models/${name}/versions`, {
      headers,
      data: { description: `build ${i}`, publish: true },
    });
    expect(version.status(), await version.text()).toBe(201);
  }
}

function tabs(page: Page) {
  return page.getByRole('navigation', { name: 'Model sections' });
}

function grantRow(page: Page, name: string) {
  return page.getByRole('table', { name: 'Grants' }).getByRole('row').filter({ hasText: name });
}

async function share(page: Page, name: string, role: 'Viewer' | 'Editor' | 'Owner') {
  await page.getByLabel('User or team name', { exact: true }).fill(name);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: role });
  await page.getByRole('button', { name: 'Share', exact: true }).click();
}

test('an owner shares a model; a viewer and an editor see only what their role allows', async ({ page }, testInfo) => {
  const model = `shared-${testInfo.project.name}`;
  const [owner, viewer, editor] = ['olga', 'vera', 'eddie'];
  await signInAsAdmin(page, testInfo);
  await createUser(page, testInfo, owner, 'Olga Owner');
  await createUser(page, testInfo, viewer, 'Vera Viewer');
  await createUser(page, testInfo, editor, 'Eddie Editor');

  // Olga's private model: only she has access.
  await signIn(page, owner, PASSWORD);
  await createModel(page, testInfo, model, 'private', 2);
  await page.goto(`/models/${model}`);
  await tabs(page).getByRole('link', { name: 'Sharing', exact: true }).click();
  await expect(page).toHaveURL(path(`/models/${model}/sharing`));
  await expectInteractive(page, testInfo);
  await expect(grantRow(page, owner)).toContainText('Olga Owner');
  await expect(page.getByRole('combobox', { name: `Role of ${owner}` })).toHaveValue('OWNER');

  // A name nobody has is explained next to the box.
  await share(page, 'nobody-by-this-name', 'Viewer');
  await expect(page.getByRole('alert').filter({ hasText: "There is no user 'nobody-by-this-name'." })).toBeVisible();

  await share(page, viewer, 'Viewer');
  await expect(page.getByRole('combobox', { name: `Role of ${viewer}` })).toHaveValue('VIEWER');
  await share(page, editor, 'Editor');
  await expect(page.getByRole('combobox', { name: `Role of ${editor}` })).toHaveValue('EDITOR');

  // The last owner cannot be removed: the refusal is explained and nothing changes.
  await page.getByRole('button', { name: `Remove ${owner}`, exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'This change would leave the model without an owner.' })).toBeVisible();
  await expect(page.getByRole('combobox', { name: `Role of ${owner}` })).toHaveValue('OWNER');

  // The viewer sees the model, and no control that would change it.
  await signIn(page, viewer, PASSWORD);
  await page.goto(`/models/${model}`);
  await expect(page.getByRole('heading', { level: 1, name: model, exact: true })).toBeVisible();
  await expectInteractive(page, testInfo);
  await expect(page.getByRole('link', { name: 'Upload version' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Edit', exact: true })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Manage aliases' })).toHaveCount(0);
  await expect(tabs(page).getByRole('link', { name: 'Activity' })).toHaveCount(0);
  await tabs(page).getByRole('link', { name: 'Versions', exact: true }).click();
  await expect(page.getByRole('link', { name: '0.2.0', exact: true })).toBeVisible();
  await expect(page.getByRole('main').getByRole('button')).toHaveCount(0);
  await expect(page.getByText('Delete…')).toHaveCount(0);
  await tabs(page).getByRole('link', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Aliases' })).toBeVisible();
  await expect(page.getByRole('main').getByRole('button')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Edit model details' })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Copy model' })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Delete model' })).toHaveCount(0);
  await tabs(page).getByRole('link', { name: 'Sharing', exact: true }).click();
  await expect(page.getByText('You can see who has access.')).toBeVisible();
  await expect(grantRow(page, viewer)).toContainText('Viewer');
  await expect(page.getByRole('main').getByRole('button')).toHaveCount(0);
  await expect(page.getByRole('combobox')).toHaveCount(0);

  // Opening the edit page directly is refused with a 403 page.
  const editPage = await page.goto(`/models/${model}/edit`);
  expect(editPage?.status()).toBe(403);
  await expect(page.getByRole('alert')).toContainText('You are not allowed to change this model.');
  await expect(page.getByRole('button', { name: 'Save changes' })).toHaveCount(0);

  // Forged requests with the viewer's session are refused by the server.
  const headers = origin(testInfo);
  const patched = await page.request.patch(`/api/v1/models/${model}`, { headers, data: { description: 'mine now' } });
  expect(patched.status()).toBe(403);
  const deleted = await page.request.post('/fn/delete_model', { headers, form: { model } });
  expect(deleted.status()).toBe(403);
  expect(await deleted.json()).toMatchObject({ error_code: 'FORBIDDEN' });
  const promoted = await page.request.post('/fn/promote_model_version', { headers, form: { model, version: '0.1.0' } });
  expect(promoted.status()).toBe(403);
  const shared = await page.request.post('/fn/share_model', {
    headers,
    form: { model, principal_type: 'user', name: viewer, role: 'OWNER', can_share: 'on' },
  });
  expect(shared.status()).toBe(403);
  const after = await page.request.get(`/api/v1/models/${model}`);
  expect(await after.json()).toMatchObject({ description: '', role: 'VIEWER' });

  // The editor changes versions but not what is the owner's: the primary version, deleting
  // published versions or the model, visibility, sharing.
  await signIn(page, editor, PASSWORD);
  await page.goto(`/models/${model}/versions`);
  await expectInteractive(page, testInfo);
  await expect(page.getByRole('link', { name: 'Upload version' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Deactivate 0.1.0' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Promote 0.1.0' })).toHaveCount(0);
  await expect(page.getByText('Delete…')).toHaveCount(0);
  await page.goto(`/models/${model}/edit`);
  await expect(page.getByLabel('Visibility', { exact: true })).toBeDisabled();
  await expect(page.getByText('Only owners can change who can see the model.')).toBeVisible();
  await page.getByLabel('Description', { exact: true }).fill('Edited by the editor.');
  await page.getByRole('button', { name: 'Save changes', exact: true }).click();
  await expect(page).toHaveURL(path(`/models/${model}`));
  await expect(page.getByText('Edited by the editor.', { exact: true })).toBeVisible();
  await page.goto(`/models/${model}/settings`);
  await expect(page.getByRole('button', { name: 'Set alias' })).toBeVisible();
  await expect(page.getByLabel('Protected')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Delete model' })).toHaveCount(0);
  await page.goto(`/models/${model}/sharing`);
  await expect(page.getByRole('button', { name: 'Share', exact: true })).toHaveCount(0);
});

test('an admin deactivates a user in the admin console, and they can no longer sign in', async ({ page }, testInfo) => {
  const user = 'dora';
  await signInAsAdmin(page, testInfo);
  await createUser(page, testInfo, user, 'Dora Departing');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(page).toHaveURL(path('/admin/users'));
  await page.getByRole('searchbox', { name: 'Search users' }).fill(user);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('search') === user);
  await expectInteractive(page, testInfo);
  const row = page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: user });
  await expect(row).toContainText('active');
  await row.getByRole('button', { name: `Deactivate ${user}` }).click();
  await expect(row).toContainText('deactivated');
  await expect(row.getByRole('button', { name: `Reactivate ${user}` })).toBeVisible();

  // An admin is offered no way to lock themselves out, and the server refuses it anyway.
  await page.getByRole('searchbox', { name: 'Search users' }).fill(ADMIN.username);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('search') === ADMIN.username);
  const self = page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: ADMIN.username });
  await expect(self).toContainText('(you)');
  await expect(self.getByRole('button', { name: `Deactivate ${ADMIN.username}` })).toHaveCount(0);
  await expect(self.getByRole('button', { name: `Remove admin: ${ADMIN.username}` })).toHaveCount(0);
  const refused = await page.request.post('/fn/set_user_active', {
    headers: origin(testInfo),
    form: { username: ADMIN.username, active: 'false' },
  });
  expect(refused.status()).toBe(409);
  expect(await refused.json()).toMatchObject({ error_code: 'CANNOT_LOCK_YOURSELF_OUT' });

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(path('/login'));
  await page.getByLabel('Username', { exact: true }).fill(user);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'This account is deactivated.' })).toBeVisible();
  await expect(page).toHaveURL(path('/login'));
});

test('the admin console is for admins only', async ({ page }, testInfo) => {
  await signIn(page, 'vera', PASSWORD);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })).toHaveCount(0);
  for (const section of ['/admin/users', '/admin/teams', '/admin/tokens', '/admin/limits', '/admin/audit']) {
    const response = await page.goto(section);
    expect(response?.status(), section).toBe(403);
    await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
  }
  const listed = await page.request.post('/fn/list_users', { headers: origin(testInfo), form: { search: '', offset: '0' } });
  expect(listed.status()).toBe(403);
  expect(await listed.json()).toMatchObject({ error_code: 'ADMIN_ONLY' });
});

test('an anonymous visitor sees a public model read-only and a 404 page for a private one', async ({ page }, testInfo) => {
  const open = `open-${testInfo.project.name}`;
  const closed = `closed-${testInfo.project.name}`;
  await signInAsAdmin(page, testInfo);
  await createModel(page, testInfo, open, 'public', 1);
  await createModel(page, testInfo, closed, 'private', 1);
  await page.context().clearCookies();

  const shown = await page.goto(`/models/${open}`);
  expect(shown?.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: open, exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Upload version' })).toHaveCount(0);
  await expect(tabs(page).getByRole('link', { name: 'Sharing' })).toHaveCount(0);
  await page.goto(`/models/${open}/versions`);
  await expect(page.getByRole('link', { name: '0.1.0', exact: true })).toBeVisible();
  await expect(page.getByRole('main').getByRole('button')).toHaveCount(0);

  for (const address of [`/models/${closed}`, `/models/${closed}/versions`, `/models/${closed}/versions/0.1.0`, '/models/no-such-model']) {
    const hidden = await page.goto(address);
    expect(hidden?.status(), address).toBe(404);
    await expect(page).toHaveURL(path(address));
    await expect(page.getByRole('heading', { name: /not found/ })).toBeVisible();
    await expect(page.getByRole('link', { name: 'sign in', exact: true })).toBeVisible();
  }
  await page.getByRole('link', { name: 'sign in', exact: true }).click();
  await expect(page).toHaveURL(path('/login'));

  // Pages that need a signed-in user still send visitors to sign in.
  await page.goto('/settings/tokens');
  await expect(page).toHaveURL(path('/login'));
});

test('an admin creates a user and a team, adds a member, revokes a token and reads the audit log', async ({ page }, testInfo) => {
  const [user, team] = ['tess', 'ml-platform'];
  await signInAsAdmin(page, testInfo);

  // A user, from the console.
  await page.goto('/admin/users');
  await expectInteractive(page, testInfo);
  await page.getByText('Create a user', { exact: true }).click();
  await page.getByLabel('Username', { exact: true }).fill(user);
  await page.getByLabel('Display name', { exact: true }).fill('Tess Tester');
  await page.getByLabel('Initial password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create user', exact: true }).click();
  await expect(page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: user })).toContainText('Tess Tester');

  // A team with that user in it.
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Teams', exact: true }).click();
  await expect(page).toHaveURL(path('/admin/teams'));
  await page.getByLabel('Team name', { exact: true }).fill(team);
  await page.getByLabel('Description', { exact: true }).fill('The platform crew.');
  await page.getByRole('button', { name: 'Create team', exact: true }).click();
  await page.getByRole('table', { name: 'Teams' }).getByRole('link', { name: team, exact: true }).click();
  await expect(page).toHaveURL(path(`/admin/teams/${team}`));
  await expect(page.getByRole('heading', { name: `Team ${team}` })).toBeVisible();
  await expect(page.getByText('This team has no members yet.')).toBeVisible();
  await page.getByLabel('Username', { exact: true }).fill('no-such-user');
  await page.getByRole('button', { name: 'Add member', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: "No user named 'no-such-user'." })).toBeVisible();
  await page.getByLabel('Username', { exact: true }).fill(user);
  await page.getByRole('button', { name: 'Add member', exact: true }).click();
  await expect(page.getByRole('table', { name: 'Members' }).getByRole('row').filter({ hasText: user })).toContainText('Tess Tester');
  await expect(page.getByRole('heading', { name: 'Members (1)' })).toBeVisible();

  // Tess makes a token; the admin revokes it, and it stops working.
  await signIn(page, user, PASSWORD);
  const created = await page.request.post('/api/v1/tokens', { headers: origin(testInfo), data: { name: 'tess-laptop' } });
  expect(created.status(), await created.text()).toBe(201);
  const secret = ((await created.json()) as { token: string }).token;
  const bearer = { Authorization: `Bearer ${secret}` };
  expect((await page.request.get('/api/v1/me', { headers: bearer })).status()).toBe(200);
  await signIn(page, ADMIN.username, ADMIN.password);
  await page.goto('/admin/tokens');
  await expectInteractive(page, testInfo);
  const tokenRow = page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: 'tess-laptop' });
  await expect(tokenRow).toContainText(user);
  await tokenRow.getByRole('button', { name: `Revoke tess-laptop of ${user}` }).click();
  await expect(tokenRow).toContainText('Revoked');
  expect((await page.request.get('/api/v1/me', { headers: bearer })).status()).toBe(401);

  // The limits in force.
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Limits', exact: true }).click();
  await expect(page).toHaveURL(path('/admin/limits'));
  await expect(page.getByText('Largest upload', { exact: true })).toBeVisible();
  await expect(page.getByText('Files per version', { exact: true })).toBeVisible();

  // Every one of these changes is in the audit log, and the filters narrow it down.
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Audit log', exact: true }).click();
  await expect(page).toHaveURL(path('/admin/audit'));
  const events = page.getByRole('table', { name: 'Audit events' });
  await expect(events).toContainText(`created user ${user}`);
  await expect(events).toContainText(`created team ${team}`);
  await expect(events).toContainText(`added ${user} to team ${team}`);
  await expect(events).toContainText('revoked API token tess-laptop');
  await page.getByLabel('Action', { exact: true }).selectOption({ label: 'Teams' });
  await page.getByLabel('Actor', { exact: true }).fill(ADMIN.username);
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('action') === 'team' && url.searchParams.get('actor') === ADMIN.username);
  await expect(events).toContainText(`added ${user} to team ${team}`);
  await expect(events).not.toContainText(`created user ${user}`);
  await page.getByLabel('Actor', { exact: true }).fill(user);
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await expect(page.getByText('No events match these filters.')).toBeVisible();
});

test('a model shared with a team is visible to its members', async ({ page }, testInfo) => {
  const model = `shared-${testInfo.project.name}`;
  const [team, member] = ['ml-platform', 'tess'];
  await signInAsAdmin(page, testInfo);
  await page.goto(`/models/${model}/sharing`);
  await expectInteractive(page, testInfo);
  const name = page.getByLabel('User or team name', { exact: true });
  if (testInfo.project.name === 'hydrated') {
    // Names are suggested as they are typed; picking a team's name makes it a team grant.
    await name.fill('ml-pl');
    await expect(page.locator(`#principal-suggestions option[value="${team}"]`)).toHaveCount(1);
    await name.fill(team);
    await expect(page.getByLabel('Share with', { exact: true })).toHaveValue('team');
  } else {
    await page.getByLabel('Share with', { exact: true }).selectOption({ label: 'Team' });
    await name.fill(team);
  }
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(page.getByRole('combobox', { name: `Role of team ${team}` })).toHaveValue('VIEWER');
  await expect(grantRow(page, team)).toContainText('team');

  // Tess sees the model through her team, read-only.
  await signIn(page, member, PASSWORD);
  await page.goto(`/models/${model}`);
  await expect(page.getByRole('heading', { level: 1, name: model, exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Upload version' })).toHaveCount(0);
  const role = await page.request.get(`/api/v1/models/${model}`);
  expect(await role.json()).toMatchObject({ role: 'VIEWER' });
});

test('an owner reads the promotion history of a model as a timeline', async ({ page }, testInfo) => {
  const model = `timeline-${testInfo.project.name}`;
  await signInAsAdmin(page, testInfo);
  await createModel(page, testInfo, model, 'private', 2);

  // Name 0.1.0 "production", then move it to 0.2.0; promote 0.1.0 to primary.
  await page.goto(`/models/${model}/settings`);
  await expectInteractive(page, testInfo);
  await page.getByLabel('Alias', { exact: true }).fill('production');
  await page.getByLabel('Version', { exact: true }).selectOption('0.1.0');
  await page.getByRole('button', { name: 'Set alias', exact: true }).click();
  const aliasRow = page.getByRole('row').filter({ hasText: 'production' });
  await expect(aliasRow).toContainText('0.1.0');
  await page.getByLabel('Alias', { exact: true }).fill('production');
  await page.getByLabel('Version', { exact: true }).selectOption('0.2.0');
  await page.getByRole('button', { name: 'Set alias', exact: true }).click();
  await expect(aliasRow).toContainText('0.2.0');
  await tabs(page).getByRole('link', { name: 'Versions', exact: true }).click();
  await page.getByRole('button', { name: 'Promote 0.1.0' }).click();
  await expect(page.getByRole('button', { name: 'Promote 0.2.0' })).toBeVisible();

  await tabs(page).getByRole('link', { name: 'Activity', exact: true }).click();
  await expect(page).toHaveURL(path(`/models/${model}/activity`));
  const events = page.getByRole('table', { name: 'Audit events' });
  await expect(events).toContainText('created version 0.1.0');
  await expect(events).toContainText('created version 0.2.0');
  await expect(events).toContainText('set alias production to 0.1.0');

  await page.getByRole('link', { name: 'Promotion history', exact: true }).click();
  await expect(page).toHaveURL((url) => url.searchParams.get('view') === 'promotions');
  const timeline = page.getByRole('list', { name: 'Promotion history' });
  const entries = timeline.getByRole('listitem');
  await expect(entries).toHaveCount(3);
  await expect(entries.nth(0)).toContainText('promoted 0.1.0 to primary (was 0.2.0)');
  await expect(entries.nth(1)).toContainText('moved alias production from 0.1.0 to 0.2.0');
  await expect(entries.nth(2)).toContainText('set alias production to 0.1.0');
  await expect(timeline).not.toContainText('created version');
  await expectInteractive(page, testInfo);
});

test('a user changes their own password and stays signed in', async ({ page }, testInfo) => {
  const user = 'pat';
  const newPassword = 'an even longer password';
  await signInAsAdmin(page, testInfo);
  await createUser(page, testInfo, user, 'Pat Changer');

  await signIn(page, user, PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Password', exact: true }).click();
  await expect(page).toHaveURL(path('/settings/password'));
  await expectInteractive(page, testInfo);
  const fill = async (current: string, next: string, confirm: string) => {
    await page.getByLabel('Current password', { exact: true }).fill(current);
    await page.getByLabel('New password', { exact: true }).fill(next);
    await page.getByLabel('Confirm new password', { exact: true }).fill(confirm);
    await page.getByRole('button', { name: 'Change password', exact: true }).click();
  };
  await fill('not my password', newPassword, newPassword);
  await expect(page.getByRole('alert').filter({ hasText: 'The current password is not right.' })).toBeVisible();
  await fill(PASSWORD, newPassword, 'something else entirely');
  await expect(page.getByRole('alert').filter({ hasText: 'The two new passwords are not the same.' })).toBeVisible();
  await fill(PASSWORD, newPassword, newPassword);
  await expect(page.getByRole('status').filter({ hasText: 'Password changed.' })).toBeVisible();

  // Still signed in; the new password is the one that works from now on.
  await page.goto('/settings/tokens');
  await expect(page).toHaveURL(path('/settings/tokens'));
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByLabel('Username', { exact: true }).fill(user);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Wrong username or password' })).toBeVisible();
  await signIn(page, user, newPassword);
});
