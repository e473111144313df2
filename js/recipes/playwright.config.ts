// docs/javascript.md, Playwright: the server the tests start and the URL they
// call, from one lookup. reuseExistingServer is safe because the port is this
// checkout's own: no other checkout's server answers on it.
import { defineConfig } from '@playwright/test';
import { portFor } from 'stableport';

const port = portFor('web');

export default defineConfig({
  testDir: 'tests',
  webServer: {
    command: 'stableport-js run web -- node server.js web',
    port,
    reuseExistingServer: !process.env.CI,
  },
  use: { baseURL: `http://127.0.0.1:${port}` },
});
