// Shared by the dashboard's browser tests (dashboard.test.mjs, views.test.mjs): the
// environment run.sh passes, headless Debian Chromium through playwright-core, the login
// form, and a count of the canvas's coloured pixels.

import { chromium } from 'playwright-core';

export function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run tests/dashboard/run.sh)`);
  return v;
}

export const WAIT = 20_000;
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = process.env.SCREENSHOT_DIR || 'target/dashboard';
export const contextOptions = { ignoreHTTPSErrors: true, viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 };

/** Headless Chromium; playwright gives it a fresh temporary user-data-dir. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--ignore-certificate-errors',
    ],
  });
}

export async function login(page, adminUrl, token) {
  await page.goto(`${adminUrl}/`, { waitUntil: 'domcontentloaded' });
  await page.locator('#token').waitFor({ state: 'visible', timeout: WAIT });
  await page.fill('#token', token);
  await page.click('#login-submit');
}

/** Pixels of the map canvas in saturated, bright colours (entities, not the floor). */
export function colourfulPixels(page) {
  return page.evaluate(() => {
    const c = document.getElementById('arena');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 90 && Math.max(r, g, b) > 150) n++;
    }
    return n;
  });
}
