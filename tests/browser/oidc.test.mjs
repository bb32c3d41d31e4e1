// Sign-in with OpenID Connect in headless Chromium, against the real provider that
// scripts/test.sh starts (GALLERY_TEST_OIDC): the button, the provider's form, back
// signed in with the name from the ID token, then signed out with a link to the provider.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { startServer, launchBrowser } from "./server.mjs";

const provider = process.env.GALLERY_TEST_OIDC;
const shots = process.env.SCREENSHOTS || join(process.cwd(), "..", "..", "test-results");
let server, browser;

const freePort = () => new Promise((resolve) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

before(async () => {
  if (!provider) throw new Error("set GALLERY_TEST_OIDC (scripts/test.sh starts the provider)");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const client = await (await fetch(`${provider}/reg`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      redirect_uris: [`${base}/auth/callback`], grant_types: ["authorization_code"],
      response_types: ["code"], token_endpoint_auth_method: "client_secret_basic",
    }),
  })).json();
  server = await startServer({
    GALLERY_BIND: `127.0.0.1:${port}`,
    GALLERY_OIDC_ISSUER: provider,
    GALLERY_OIDC_CLIENT_ID: client.client_id,
    GALLERY_OIDC_CLIENT_SECRET: client.client_secret,
    GALLERY_OIDC_NAME: "Test ID",
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("sign in with the OpenID Connect provider, then sign out", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // The gallery's own pages must be clean (the test provider's page has no favicon).
  page.on("response", (r) => { if (r.status() >= 400 && r.url().startsWith(server.url)) errors.push(`${r.status()} ${r.url()}`); });
  page.on("console", (m) => { if (m.type() === "error" && page.url().startsWith(server.url)) errors.push(m.text()); });
  await page.goto(`${server.url}/login`);
  await page.click("text=Sign in with Test ID");
  await page.waitForURL(/\/interaction\//);
  await page.selectOption('select[name="account"]', "alice");
  await page.click('button[type="submit"]');
  await page.waitForURL(/\/gallery$/);
  assert.match(await page.textContent("header"), /Alice Example/);
  await page.screenshot({ path: join(shots, "oidc-signed-in.png") });

  await page.click("#account-menu summary");
  await page.click('#account-menu button:has-text("Sign out")');
  await page.waitForURL(/\/login\?signed_out=1$/);
  assert.match(await page.textContent("main"), /You are signed out of the gallery/);
  assert.match(await page.getAttribute("text=Sign out of Test ID too", "href"), /\/session\/end\?client_id=/);
  await page.goto(`${server.url}/gallery`);
  await page.waitForURL(/\/login$/);
  assert.deepEqual(errors, []);
});
