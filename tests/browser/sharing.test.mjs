// Sharing between two people, in two browser contexts: the owner shares a folder from its
// Share page, the friend finds it under "Shared with me" and adds a photo as a contributor;
// the owner removes the friend, whose next request is a 404. A link for anyone opens in a
// third context without cookies. The new pages are checked with axe-core (WCAG 2.x A, AA).
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
  await page.screenshot({ path: join(shots, `sharing-${name}.png`), fullPage: true });
  await page.evaluate(axeSource);
  const violations = await page.evaluate((values) =>
    window.axe.run(document, { runOnly: { type: "tag", values } }).then((r) =>
      r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)), TAGS);
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
}

const photo = (name, file) => ({ name, mimeType: "image/jpeg", buffer: readFileSync(join(testdata, file)) });

async function upload(page, files) {
  const reloaded = page.waitForEvent("load");
  await page.setInputFiles("#file-input", files);
  await reloaded;
  await page.waitForSelector("#grid .card img");
}

test("a folder shared with a friend, a contribution, a removal, and a link for anyone", async () => {
  const ownerContext = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const friendContext = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const owner = await ownerContext.newPage();
  const friend = await friendContext.newPage();
  const errors = [];
  for (const page of [owner, friend]) page.on("pageerror", (e) => errors.push(e.message));

  await signUp(friend, server.url, "fay@example.org", { name: "Fay" });
  await signUp(owner, server.url, "olga@example.org", { name: "Olga" });
  // Olga's folder "Hawaii trip" with a photo.
  await owner.click("#folder-menu summary");
  await owner.fill("#new-folder-name", "Hawaii trip");
  await owner.click('#folder-menu button:has-text("Create folder")');
  await owner.click('a:has-text("Hawaii trip")');
  await owner.waitForURL(/\/gallery\/[^/]+$/);
  const folderUrl = owner.url();
  await upload(owner, [photo("beach.jpg", "chelsea.jpg")]);

  // She shares it with Fay, who may add photos.
  await owner.click("#folder-menu summary");
  await owner.click('#folder-menu a:has-text("Share")');
  await owner.waitForURL(/\/sharing$/);
  await owner.fill('input[name="email"]', "fay@example.org");
  await owner.selectOption('main form select[name="role"] >> nth=0', "contributor");
  await owner.click('main button:has-text("Share")');
  await owner.waitForSelector(".share-list li");
  assert.match(await owner.textContent(".share-list"), /Fay/);
  await axe(owner, "share-page");

  // Fay finds it under "Shared with me", with Olga's name, and adds a photo.
  await friend.click('nav a[href="/shared"]');
  await friend.waitForURL(/\/shared$/);
  assert.match(await friend.textContent("main"), /Hawaii trip/);
  assert.match(await friend.textContent("main"), /shared by Olga/);
  await axe(friend, "shared-with-me");
  await friend.click('main a:has-text("Hawaii trip")');
  await friend.waitForURL(/\/gallery\/[^/]+$/);
  assert.match(await friend.textContent("#shared-by"), /Olga/);
  assert.equal(await friend.locator('a[href$="/sharing"]').count(), 0, "no owner's tools");
  await upload(friend, [photo("rocket.jpg", "rocket.jpg")]);
  assert.equal(await friend.locator("#grid .card").count(), 2);
  await axe(friend, "shared-folder");
  // Olga sees Fay's photo in her folder.
  await owner.goto(folderUrl);
  assert.equal(await owner.locator("#grid .card").count(), 2);

  // A link for anyone, opened in a third context without cookies.
  await owner.goto(`${folderUrl.replace("/gallery/", "/folders/")}/sharing`);
  await owner.click('main button:has-text("Make a link")');
  await owner.waitForURL(/\/links\/new$/);
  const url = await owner.inputValue("#made-link");
  assert.match(url, /\/s\/[0-9a-f]{64}$/);
  await axe(owner, "links");
  const strangerContext = await browser.newContext();
  const stranger = await strangerContext.newPage();
  await stranger.goto(url);
  await stranger.waitForSelector(".link-grid img");
  assert.equal(await stranger.locator(".link-grid li").count(), 2);
  assert.deepEqual(await strangerContext.cookies(), [], "no cookie");
  assert.equal(await stranger.getAttribute('meta[name="robots"]', "content"), "noindex, nofollow");
  await axe(stranger, "link-page");

  // Olga removes Fay: Fay's next request finds nothing.
  await owner.goto(`${folderUrl.replace("/gallery/", "/folders/")}/sharing`);
  await owner.click('.share-list button:has-text("Remove")');
  await owner.waitForSelector("text=no longer has access");
  const gone = await friend.goto(folderUrl);
  assert.equal(gone.status(), 404);
  // Revoking the link: the stranger's next request finds nothing either.
  await owner.goto(`${server.url}/links`);
  await owner.click('.share-list button:has-text("Revoke")');
  await owner.waitForURL(/\/links$/);
  const revoked = await stranger.goto(url);
  assert.equal(revoked.status(), 404);
  assert.deepEqual(errors, []);
  await Promise.all([ownerContext.close(), friendContext.close(), strangerContext.close()]);
});
