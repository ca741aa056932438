// Playwright configuration for Modelyard's end-to-end tests.
//
// Every journey runs twice: once with the hydrated app and once with JavaScript disabled, so each
// form is proven to work both ways. Each project talks to its own server (started by run.sh) because
// the first-admin setup can happen only once per database.
import { defineConfig } from '@playwright/test';

/** Where a project's server listens and where it writes its log; run.sh sets these. */
function server(urlVar: string, logVar: string) {
  return {
    baseURL: process.env[urlVar],
    metadata: { serverLog: process.env[logVar], urlVar, logVar },
  };
}

const hydrated = server('E2E_HYDRATED_URL', 'E2E_HYDRATED_LOG');
const noJs = server('E2E_NOJS_URL', 'E2E_NOJS_LOG');

export default defineConfig({
  testDir: './tests',
  // The journeys build on each other's state (one database per project): never shuffle them.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    navigationTimeout: 15_000,
    actionTimeout: 10_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's Chromium: Playwright's own browser downloads are not available on these machines.
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [
    {
      name: 'hydrated',
      // Tests of the plain-form path are tagged @no-js; they belong to the other project.
      grepInvert: /@no-js/,
      metadata: hydrated.metadata,
      use: { browserName: 'chromium', baseURL: hydrated.baseURL, javaScriptEnabled: true },
    },
    {
      name: 'no-js',
      // Tests of what only JavaScript can do (progress bars, drag and drop) are tagged @js.
      grepInvert: /@js\b/,
      metadata: noJs.metadata,
      use: { browserName: 'chromium', baseURL: noJs.baseURL, javaScriptEnabled: false },
    },
  ],
});
