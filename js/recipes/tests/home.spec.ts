// Playwright's request fixture: an HTTP client, no browser to install.
import { expect, test } from '@playwright/test';
import { portFor } from 'stableport';

test('the server started by webServer answers on the port stableport gives', async ({ request }) => {
  const response = await request.get('/');
  expect(response.ok()).toBeTruthy();
  expect(await response.text()).toBe(`web on ${portFor('web')}\n`);
});
