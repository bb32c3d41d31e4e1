// The admin dashboard in headless Chromium: it renders with its charts in light and dark
// mode, refreshes itself while open without taking the focus or a search being typed,
// and an action (disabling an account) works by keyboard alone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, launchBrowser, signUp } from "./server.mjs";

const shots = process.env.SCREENSHOTS || join(process.cwd(), "..", "..", "test-results");
let server, browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer({ GALLERY_CLASSIFIER: "off" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// A real photo from the classifier's test data, for uploads through the API.
const JPEG = readFileSync(join(process.cwd(), "..", "..", "classifier-lambda", "testdata", "chelsea.jpg"));

async function api(path, { token, method = "GET", json, form } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json) { headers["content-type"] = "application/json"; body = JSON.stringify(json); }
  if (form) body = form;
  const res = await fetch(`${server.url}${path}`, { method, headers, body });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function upload(token, name) {
  const form = new FormData();
  form.append("file", new Blob([JPEG], { type: "image/jpeg" }), name);
  const res = await api("/api/v1/images", { token, method: "POST", form });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

test("an admin sees the dashboard refresh itself and disables an account by keyboard", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

  // The first account is the admin.
  await signUp(page, server.url, "root@example.org");

  const password = "correct horse battery";
  assert.equal((await api("/api/v1/auth/signup", { method: "POST", json: { email: "bo@example.org", password } })).status, 201);
  const login = await api("/api/v1/auth/login", { method: "POST", json: { email: "bo@example.org", password } });
  const token = login.body.token;
  await upload(token, "first.jpg");

  await page.click("#account-menu summary");
  await page.click('header a[href="/admin"]');
  await page.waitForURL(/\/admin$/);
  assert.equal(await page.locator("svg.chart").count(), 3, "three charts");
  assert.equal(await page.locator("#figure-photos").textContent(), "1");
  assert.match(await page.textContent("#users"), /bo@example\.org/);
  // Each chart has its figures in a table for screen readers.
  assert.equal(await page.locator("figure.chart-box table").count(), 3);
  await page.screenshot({ path: join(shots, "admin.png"), fullPage: true });

  // Typing a search while the panels refresh: the text and the focus stay.
  await page.focus("#user-search");
  await page.keyboard.type("bo@");
  await upload(token, "second.jpg");
  await page.waitForFunction(() => document.querySelector("#figure-photos")?.textContent === "2", null, { timeout: 15000 });
  assert.equal(await page.evaluate(() => document.activeElement.id), "user-search");
  assert.equal(await page.inputValue("#user-search"), "bo@");

  // By keyboard alone: search, open the account, disable it.
  await page.keyboard.press("Enter");
  await page.waitForURL(/q=bo%40/);
  const manage = 'a[aria-label="Manage bo@example.org"]';
  for (let i = 0; i < 80 && !(await page.evaluate((sel) => document.activeElement.matches(sel), manage)); i++) {
    await page.keyboard.press("Tab");
  }
  assert.ok(await page.evaluate((sel) => document.activeElement.matches(sel), manage), "Tab reaches the account");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/admin\/users\/[0-9a-f]+$/);
  const disable = "button:text('Disable the account')";
  const onDisable = () => page.evaluate(() =>
    document.activeElement.tagName === "BUTTON" && document.activeElement.textContent.trim() === "Disable the account");
  for (let i = 0; i < 40 && !(await onDisable()); i++) {
    await page.keyboard.press("Tab");
  }
  assert.ok(await onDisable(), "Tab reaches the disable button");
  await page.keyboard.press("Enter");
  await page.waitForSelector("text=Disabled: this account cannot sign in");
  assert.equal(await page.locator(disable).count(), 0);
  assert.equal((await api("/api/v1/me", { token })).status, 401, "the account's token ended at once");

  // Back on the dashboard, the audit log has it; and in dark mode the charts keep their contrast.
  await page.goto(`${server.url}/admin#audit`);
  assert.match(await page.textContent("#audit"), /disable\s*bo@example\.org/);
  await page.emulateMedia({ colorScheme: "dark" });
  const colours = await page.evaluate(() => {
    const svg = document.querySelector("svg.chart");
    return { text: getComputedStyle(svg).color, back: getComputedStyle(svg).backgroundColor };
  });
  assert.notEqual(colours.text, colours.back);
  assert.equal(colours.back, "rgb(30, 30, 30)", "dark background in dark mode");
  await page.screenshot({ path: join(shots, "admin-dark.png"), fullPage: true });
  assert.deepEqual(errors, [], "no script errors or policy violations");
});

test("a user who is not an admin is refused the dashboard", async () => {
  const page = await browser.newPage();
  await signUp(page, server.url, "plain@example.org");
  assert.equal(await page.locator('header a[href="/admin"]').count(), 0);
  const res = await page.goto(`${server.url}/admin`);
  assert.equal(res.status(), 403);
});
