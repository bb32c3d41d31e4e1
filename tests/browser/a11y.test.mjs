// Automated accessibility checks with axe-core (WCAG 2.0/2.1 A and AA, WCAG 2.2 AA) on every
// page and state a person meets: sign in, sign up, the gallery, search results, the open
// viewer, account, admin, a delete confirmation and a voice answer; each on a large and a
// phone-sized screen, in light and dark colour scheme. One server and one account (the first,
// so an admin) with three classified photos serve every state.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { startServer, launchBrowser, signUp } from "./server.mjs";

const shots = process.env.SCREENSHOTS || join(process.cwd(), "..", "..", "test-results");
const testdata = join(process.cwd(), "..", "..", "classifier-lambda", "testdata");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const COMBOS = [
  { width: 1280, height: 860, colorScheme: "light" },
  { width: 1280, height: 860, colorScheme: "dark" },
  { width: 390, height: 844, colorScheme: "light" },
  { width: 390, height: 844, colorScheme: "dark" },
];
const EMAIL = "axe@example.org";
const PASSWORD = "correct horse battery";
let server, browser, signedIn;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();

  // The first account is the admin; its three photos are uploaded and classified once.
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await signUp(page, server.url, EMAIL, { name: "Axe", password: PASSWORD });
  const reloaded = page.waitForEvent("load");
  await page.setInputFiles("#file-input", [
    { name: "dog-on-the-beach.jpg", mimeType: "image/jpeg", buffer: readFileSync(join(testdata, "chelsea.jpg")) },
    { name: "dog-in-the-park.jpg", mimeType: "image/jpeg", buffer: readFileSync(join(testdata, "rocket.jpg")) },
    { name: "coffee.png", mimeType: "image/png", buffer: readFileSync(join(testdata, "coffee.png")) },
  ]);
  await reloaded;
  await page.waitForFunction(() => {
    const cards = Array.from(document.querySelectorAll("#grid .card"));
    return cards.length === 3 && cards.every((c) => c.dataset.status === "done");
  }, null, { timeout: 120000 });
  signedIn = await context.storageState();
  await context.close();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Waits until every photo on the page has loaded, so the screenshots and axe see them.
const imagesLoaded = (page) => page.waitForFunction(() =>
  Array.from(document.querySelectorAll("img")).every((i) => i.complete && (i.naturalWidth > 0 || !i.currentSrc)));

// Runs one state in all four viewport/scheme combinations; `reach` takes a fresh page to the
// state. All combinations run (and leave a screenshot) before the test asserts.
async function check(name, { auth = true, fullPage = true }, reach) {
  const failures = [];
  for (const { width, height, colorScheme } of COMBOS) {
    const label = `${width}-${colorScheme}`;
    // axe runs as the test's own evaluated code (an inline <script> tag would be refused by
    // the site's CSP, which stays on: the pages are checked as people get them).
    const context = await browser.newContext({
      viewport: { width, height }, colorScheme,
      ...(auth ? { storageState: signedIn } : {}),
    });
    const page = await context.newPage();
    try {
      await reach(page);
      await imagesLoaded(page);
      await page.screenshot({ path: join(shots, `a11y-${name}-${label}.png`), fullPage });
      await page.evaluate(axeSource);
      const violations = await page.evaluate((values) =>
        window.axe.run(document, { runOnly: { type: "tag", values } }).then((r) =>
          r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }))),
      TAGS);
      for (const v of violations) {
        failures.push(`[${label}] ${v.id} (${v.impact}): ${v.help}\n      ${v.targets.join("\n      ")}`);
      }
    } finally {
      await context.close();
    }
  }
  assert.equal(failures.length, 0, `${name}: ${failures.length} axe violation(s)\n  ${failures.join("\n  ")}`);
}

test("sign-in page", () => check("login", { auth: false }, async (page) => {
  await page.goto(`${server.url}/login`);
}));

test("sign-up page", () => check("signup", { auth: false }, async (page) => {
  await page.goto(`${server.url}/signup`);
}));

test("gallery with classified photos", () => check("gallery", {}, async (page) => {
  await page.goto(`${server.url}/gallery`);
  await page.waitForFunction(() => document.querySelectorAll("#grid .card .tags").length === 3);
}));

test("search results", () => check("search", {}, async (page) => {
  await page.goto(`${server.url}/gallery`);
  await page.fill("#search-input", "dog");
  await page.waitForFunction(() => /matching/.test(document.querySelector("#result-count")?.textContent || ""));
  await page.waitForURL(/q=dog/);
}));

test("open viewer", () => check("viewer", { fullPage: false }, async (page) => {
  await page.goto(`${server.url}/gallery`);
  await page.locator("#grid .card a.open").first().click();
  await page.waitForSelector("dialog#viewer[open]");
  await page.waitForFunction(() => {
    const img = document.querySelector("#viewer-image");
    return img && img.complete && img.naturalWidth > 0;
  });
}));

test("open viewer with its details on a phone", () => check("viewer-details", { fullPage: false }, async (page) => {
  await page.goto(`${server.url}/gallery`);
  await page.locator("#grid .card a.open").first().click();
  await page.waitForSelector("dialog#viewer[open]");
  if (!(await page.isVisible("#viewer-info"))) await page.click('[data-viewer="info"]');
  await page.waitForSelector("#viewer-info", { state: "visible" });
}));

test("photos selected, with the selection toolbar", () => check("selecting", {}, async (page) => {
  await page.goto(`${server.url}/gallery`);
  await page.locator("#grid .card .pick input").first().check();
  await page.waitForSelector("#selection", { state: "visible" });
}));

test("the folder menu open", () => check("folder-menu", { fullPage: false }, async (page) => {
  await page.goto(`${server.url}/gallery`);
  await page.click("#folder-menu summary");
  await page.waitForSelector("#new-folder-name", { state: "visible" });
}));

test("the account menu open", () => check("account-menu", { fullPage: false }, async (page) => {
  await page.goto(`${server.url}/gallery`);
  await page.click("#account-menu summary");
  await page.waitForSelector("#theme", { state: "visible" });
}));

test("timeline", () => check("timeline", {}, async (page) => {
  await page.goto(`${server.url}/timeline`);
  await page.waitForSelector(".month .grid .card");
}));

test("adding shared photos", () => check("share", {}, async (page) => {
  await page.goto(`${server.url}/share`);
  await page.waitForFunction(() => !/Looking/.test(document.querySelector("#share-status").textContent));
}));

test("account page", () => check("account", {}, async (page) => {
  await page.goto(`${server.url}/account`);
}));

test("admin dashboard", () => check("admin", {}, async (page) => {
  const res = await page.goto(`${server.url}/admin`);
  assert.equal(res.status(), 200, "the first account is the admin");
  await page.waitForSelector("svg.chart");
}));

test("delete confirmation page", () => check("confirm-delete", {}, async (page) => {
  await page.goto(`${server.url}/gallery`);
  await page.locator('#grid .card input[name="ids"]').first().check();
  await page.click('#selection button[formaction="/images/delete"]');
  await page.waitForURL(/\/images\/delete$/);
  assert.match(await page.textContent("main h1"), /Delete 1 photo\?/);
}));

test("voice answer", () => check("voice", {}, async (page) => {
  await page.goto(`${server.url}/gallery`);
  await page.fill("#voice-text", "what's the weather like");
  await page.press("#voice-text", "Enter");
  await page.waitForFunction(() => document.querySelector("#voice-reply").textContent.trim() !== "");
}));
