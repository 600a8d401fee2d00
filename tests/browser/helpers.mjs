// Shared by the browser tests: headless Debian Chromium through playwright-core (no browser
// is downloaded), pages that record their errors, and the strict CSP the page must live with.

import { createRequire } from "node:module";
import { join } from "node:path";
import { repoRoot } from "../../protocol/ts/test/helpers/server.mjs";

// playwright-core and ws are dev dependencies of the SDK package.
const require = createRequire(join(repoRoot, "protocol/ts/package.json"));
const { chromium } = require("playwright-core");
export const WebSocket = require("ws");

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/**
 * The admin dashboard's policy (src/admin/mod.rs `DASHBOARD_CSP`), which the game listener
 * also sends with the built-in demo (src/net/http.rs `DEMO_CSP`): only the page's own
 * scripts, styles and connections, nothing inline, no eval. The tests add it to every
 * response too, so the page is held to it whatever the server sends (and whatever
 * `--static-dir` serves).
 */
export const STRICT_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--ignore-certificate-errors", // the server's self-signed development certificate
      // A response the test fulfils (to add the CSP) has no IP address, so Chromium would take
      // the page for a public one and refuse its WebSocket to 127.0.0.1 as local network access.
      "--disable-features=LocalNetworkAccessChecks,LocalNetworkAccessChecksWebSockets",
    ],
  });
}

/**
 * A new page in its own context (its own sessionStorage) with the strict CSP on every
 * response; `problems` collects page errors, console errors and CSP violations.
 */
export async function openPage(browser, server, contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 860 }, ignoreHTTPSErrors: true, ...contextOptions });
  await context.route("**/*", async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), "content-security-policy": STRICT_CSP } });
  });
  // Record the CSP violations the page reports (inline style or script, eval, a foreign
  // connect), from before its first script runs.
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  await page.goto(`https://127.0.0.1:${server.port}/`);
  await page.waitForFunction(() => window.tickwave?.ready === true);
  return { context, page, problems };
}

export const until = async (what, fn, ms = 15_000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
