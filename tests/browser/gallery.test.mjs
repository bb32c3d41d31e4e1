// A person's first visit, in headless Chromium: sign up, make a folder, upload two
// photos, see their thumbnails and their tags arrive, open the viewer and step through it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, launchBrowser, signUp } from "./server.mjs";

const shots = process.env.SCREENSHOTS || join(process.cwd(), "..", "..", "test-results");
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

// Real JPEGs, drawn and encoded by the browser itself.
async function makeJpegs(page, dir) {
  const files = [];
  for (const [name, w, h, hue] of [["sunset.jpg", 640, 420, 20], ["forest.jpg", 400, 600, 120]]) {
    const dataUrl = await page.evaluate(({ w, h, hue }) => {
      const c = document.createElement("canvas");
      c.width = w; c.height = h;
      const g = c.getContext("2d");
      const grad = g.createLinearGradient(0, 0, w, h);
      grad.addColorStop(0, `hsl(${hue}, 80%, 60%)`);
      grad.addColorStop(1, `hsl(${hue + 60}, 70%, 30%)`);
      g.fillStyle = grad; g.fillRect(0, 0, w, h);
      return c.toDataURL("image/jpeg", 0.9);
    }, { w, h, hue });
    const path = join(dir, name);
    writeFileSync(path, Buffer.from(dataUrl.split(",")[1], "base64"));
    files.push(path);
  }
  return files;
}

test("sign up, create a folder, upload two photos and view them", async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

  await signUp(page, server.url, "ada@example.org", { name: "Ada" });
  assert.match(await page.textContent("header"), /Ada/);

  // Folder actions sit in a menu.
  assert.equal(await page.isVisible("#new-folder-name"), false);
  await page.click("#folder-menu summary");
  await page.fill("#new-folder-name", "Vacation");
  await page.click("text=Create folder");
  await page.click("ul.folders >> text=Vacation");
  await page.waitForURL(/\/gallery\/[0-9a-f]+$/);
  assert.match(await page.textContent(".crumbs"), /Your photos\s*Vacation/);

  const files = await makeJpegs(page, server.dir);
  const reloaded = page.waitForEvent("load");
  await page.setInputFiles("#file-input", files);
  await reloaded;
  // Screen readers hear the upload's result, in a polite live region, after the reload.
  await page.waitForFunction(() => /2 of 2 uploaded/.test(document.querySelector("#upload-status").textContent));
  await page.waitForSelector("#grid .card img");
  const cards = page.locator("#grid .card");
  assert.equal(await cards.count(), 2);
  await page.waitForFunction(() =>
    Array.from(document.querySelectorAll("#grid .card img")).every((i) => i.complete && i.naturalWidth > 0));
  const widths = await cards.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
  assert.ok(widths[0] !== widths[1], "the justified grid gives each photo its own width");
  // Classification runs while the page is open: statuses and tags arrive without a reload.
  await page.evaluate(() => { window.notReloaded = true; });
  const pendingAtLoad = await page.evaluate(() =>
    Array.from(document.querySelectorAll("#grid .card")).some((c) => c.dataset.status !== "done"));
  await page.waitForFunction(() =>
    Array.from(document.querySelectorAll("#grid .card")).every((c) => c.dataset.status === "done"), null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  // And then the labels as they arrive.
  if (pendingAtLoad) {
    await page.waitForFunction(() => /^Classified .*(sunset|forest)\.jpg: /.test(document.querySelector("#announcer").textContent));
  }
  assert.equal(await page.getAttribute("#announcer", "aria-live"), "polite");
  assert.equal(await page.locator("#grid .card .tags").count(), 2);
  assert.match(await page.getAttribute("#grid .card img", "alt"), /: /, "the tags are in the thumbnail's text");
  await page.screenshot({ path: join(shots, "folder.png"), fullPage: true });

  await cards.first().locator("a.open").click();
  const viewer = page.locator("#viewer");
  await viewer.waitFor({ state: "visible" });
  await page.waitForFunction(() => {
    const img = document.querySelector("#viewer-image");
    return img.complete && img.naturalWidth > 0;
  });
  assert.match(await page.textContent("#viewer-title"), /1 of 2/);
  // The details beside the photo: tags with confidences, date, size, folder; and its actions.
  const info = page.locator("#viewer-info");
  assert.equal(await info.isVisible(), true, "a large screen shows the details at once");
  assert.match(await page.textContent("#info-tags"), /\S+ \d+%/);
  assert.match(await page.textContent("#info-size"), /^(640 × 420|400 × 600) px · \d+ KB$/);
  assert.equal(await page.textContent("#info-folder"), "Vacation");
  assert.match(await page.textContent("#info-taken"), /unknown \(uploaded /);
  assert.match(await page.getAttribute("#info-download", "href"), /\/images\/[0-9a-f]+\/original$/);
  await page.keyboard.press("i");
  assert.equal(await info.isVisible(), false, "i hides the details");
  await page.keyboard.press("i");
  assert.equal(await info.isVisible(), true);
  // A large screen takes the viewer's rendition, never the original.
  assert.match(await page.evaluate(() => document.querySelector("#viewer-image").currentSrc), /\/display$/);
  // Every classifier's answer for this photo, side by side with its time; another photo
  // clears it.
  await page.click("#info-compare");
  await page.locator("#compare-table").waitFor({ state: "visible" });
  assert.match(await page.textContent("#compare-table"), /efficientnet-lite0[\s\S]*\d+ %[\s\S]*\d+\.\d ms/);
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.locator("#compare-table").count(), 0);
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowRight");
  assert.match(await page.textContent("#viewer-title"), /2 of 2/);
  await page.click('[data-viewer="zoom-in"]');
  assert.match(await page.getAttribute("#viewer-image", "style"), /scale\(1\.25\)/);
  // The slideshow button says and shows what it will do: play, then pause.
  const slideshow = page.locator('[data-viewer="slideshow"]');
  assert.equal(await slideshow.getAttribute("aria-label"), "Play slideshow");
  await slideshow.click();
  assert.equal(await slideshow.getAttribute("aria-label"), "Stop slideshow");
  assert.equal(await slideshow.locator(".pause").isVisible(), true);
  assert.equal(await slideshow.locator(".play").isVisible(), false);
  await slideshow.click();
  assert.equal(await slideshow.locator(".play").isVisible(), true);
  await page.screenshot({ path: join(shots, "viewer.png") });
  await page.keyboard.press("Escape");
  await viewer.waitFor({ state: "hidden" });

  // The selection toolbar shows only while something is selected.
  assert.equal(await page.isVisible("#selection"), false, "no toolbar before a selection");
  await page.check("#grid .card .pick input >> nth=0");
  assert.equal(await page.isVisible("#selection"), true);
  assert.equal(await page.textContent("#selection-count"), "1 selected");
  // Select both: the count follows and the actions wake up.
  await page.click('[data-select="all"]');
  assert.equal(await page.textContent("#selection-count"), "2 selected");
  assert.equal(await page.isDisabled("#selection button[type=submit]"), false);

  // Live search: the results and their count change while typing, without leaving the page.
  await page.evaluate(() => { window.stillHere = true; });
  await page.fill("#search-input", "sunsets");
  await page.waitForFunction(() => /^\s*1 photo matching/.test(document.querySelector("#result-count").textContent));
  assert.equal(await page.locator("#grid .card").count(), 1);
  assert.equal(await page.getAttribute("#grid .card", "data-name"), "sunset.jpg");
  assert.equal(await page.evaluate(() => window.stillHere), true);
  assert.match(page.url(), /q=sunsets/);
  assert.equal(await page.isVisible("#search-clear"), true);
  assert.equal(await page.isVisible("#selection"), false, "new results come with nothing selected");
  await page.check("#grid .card .pick input");
  assert.equal(await page.textContent("#selection-count"), "1 selected", "the new results can be selected");
  await page.screenshot({ path: join(shots, "search.png"), fullPage: true });
  // A second search replaces the first (the address bar already holds the first's words).
  await page.fill("#search-input", "forest");
  await page.waitForFunction(() => document.querySelector("#grid .card")?.dataset.name === "forest.jpg");
  assert.match(page.url(), /q=forest/);
  assert.doesNotMatch(page.url(), /sunsets/);
  // The search box suggests as one types: here the folder's name.
  await page.fill("#search-input", "vaca");
  await page.waitForFunction(() => Array.from(document.querySelectorAll("#search-suggestions option")).some((o) => o.value === "vacation"));
  await page.click("#search-clear");
  await page.waitForFunction(() => document.querySelectorAll("#grid .card").length === 2);

  assert.deepEqual(errors, [], "no script errors or policy violations");
});

test("a phone-sized screen shows the gallery without sideways scrolling", async () => {
  const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
  await page.goto(`${server.url}/login`);
  await page.fill('input[name="email"]', "ada@example.org");
  await page.fill('input[name="password"]', "correct horse battery");
  await page.click('button[type="submit"]');
  await page.waitForURL(/\/gallery$/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: join(shots, "phone.png"), fullPage: true });

  // A small screen's viewer takes the thumbnail (609 px wide here) over the rendition.
  await page.click("ul.folders >> text=Vacation");
  await page.locator('#grid .card[data-name="sunset.jpg"] a.open').click();
  await page.waitForFunction(() => {
    const img = document.querySelector("#viewer-image");
    return img.complete && img.naturalWidth > 0;
  });
  assert.match(await page.evaluate(() => document.querySelector("#viewer-image").currentSrc), /\/thumbnail$/);
  // On a phone the details wait for the info button; a swipe steps through the photos.
  assert.equal(await page.isVisible("#viewer-info"), false);
  const swipe = (from, to) => page.evaluate(({ from, to }) => {
    const stage = document.querySelector(".viewer-stage");
    const at = (type, x) => stage.dispatchEvent(new PointerEvent(type, { pointerType: "touch", clientX: x, clientY: 300, bubbles: true }));
    at("pointerdown", from);
    at("pointerup", to);
  }, { from, to });
  const before = await page.textContent("#viewer-title");
  await swipe(300, 80);
  assert.notEqual(await page.textContent("#viewer-title"), before, "a swipe to the left shows the next photo");
  await swipe(80, 300);
  assert.equal(await page.textContent("#viewer-title"), before, "and one to the right the previous");
  await page.click('[data-viewer="info"]');
  assert.equal(await page.isVisible("#viewer-info"), true);
  await page.screenshot({ path: join(shots, "viewer-phone.png") });
});

test("on a 390×844 screen the first row of photos shows without scrolling", async () => {
  for (const colorScheme of ["light", "dark"]) {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme });
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.fill('input[name="email"]', "ada@example.org");
    await page.fill('input[name="password"]', "correct horse battery");
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/gallery$/);
    await page.click("ul.folders >> text=Vacation");
    await page.waitForSelector("#grid .card img");
    const bottom = await page.evaluate(() => document.querySelector("#grid .card").getBoundingClientRect().bottom);
    assert.ok(bottom <= 844, `the first photo ends at ${bottom}px, below the fold`);
    await page.screenshot({ path: join(shots, `gallery-390-${colorScheme}.png`) });
    await context.close();
  }
});
