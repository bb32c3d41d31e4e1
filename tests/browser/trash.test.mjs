// A slip of the mouse is not final: deleting a photo leaves a toast with Undo, which puts
// it back; deleted again, it waits in the Trash, which restores it. The Trash page and the
// toast are checked with axe-core (WCAG 2.x A and AA) too.
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
let server, browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function axe(page, name) {
  await page.screenshot({ path: join(shots, `trash-${name}.png`), fullPage: true });
  await page.evaluate(axeSource);
  const violations = await page.evaluate((values) =>
    window.axe.run(document, { runOnly: { type: "tag", values } }).then((r) =>
      r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)), TAGS);
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
}

const cards = (page) => page.locator("#grid .card");

async function deleteFirst(page) {
  await page.locator('#grid .card input[name="ids"]').first().check();
  await page.click('#selection button[formaction="/images/delete"]');
  await page.waitForURL(/\/images\/delete$/);
  assert.match(await page.textContent("main"), /Trash/, "the question says where the photo goes");
  await page.click('main button[type="submit"]');
  await page.waitForURL(/\/gallery/);
}

test("a deleted photo comes back with the toast's Undo, and from the Trash", async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signUp(page, server.url, "una@example.org", { name: "Una" });
  const reloaded = page.waitForEvent("load");
  await page.setInputFiles("#file-input", [
    { name: "cat.jpg", mimeType: "image/jpeg", buffer: readFileSync(join(testdata, "chelsea.jpg")) },
    { name: "rocket.jpg", mimeType: "image/jpeg", buffer: readFileSync(join(testdata, "rocket.jpg")) },
  ]);
  await reloaded;
  await page.waitForSelector("#grid .card img");
  assert.equal(await cards(page).count(), 2);

  await deleteFirst(page);
  assert.equal(await cards(page).count(), 1);
  const toast = page.locator("#toast");
  await toast.waitFor({ state: "visible" });
  assert.match(await toast.textContent(), /Moved 1 photo to Trash/);
  assert.equal(await toast.getAttribute("role"), "status", "screen readers hear it");
  assert.doesNotMatch(page.url(), /undo=/, "reloading does not show it again");
  await axe(page, "toast");
  await toast.locator("button", { hasText: "Undo" }).click();
  await page.waitForURL(/\/gallery/);
  assert.equal(await cards(page).count(), 2, "Undo put the photo back");
  assert.match(await page.textContent("#toast"), /Undone/);

  // Deleted again, the toast goes by itself after ten seconds; the Trash keeps the photo.
  await deleteFirst(page);
  await page.locator("#toast").waitFor({ state: "hidden", timeout: 15000 });
  await page.click('nav a[href="/trash"]');
  await page.waitForURL(/\/trash$/);
  assert.match(await page.textContent("main"), /count towards your storage/);
  assert.equal(await page.locator('main input[name="image_ids"]').count(), 1);
  await page.waitForFunction(() => Array.from(document.querySelectorAll("main img")).every((i) => i.complete && i.naturalWidth > 0));
  await axe(page, "page");
  await page.locator('main input[name="image_ids"]').check();
  await page.click("text=Restore selected");
  await page.waitForURL(/\/trash$/);
  assert.match(await page.textContent("main"), /The Trash is empty/);
  await page.goto(`${server.url}/gallery`);
  assert.equal(await cards(page).count(), 2, "restored where it was");
  assert.deepEqual(errors, []);
  await page.close();
});
