// The timeline, the paged grid, the viewer's EXIF details and the share target, as a person
// meets them: photos from three different months (their dates and cameras in EXIF), a
// folder of more photos than a page holds, and photos shared from a phone's share sheet.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startServer, launchBrowser, signUp } from "./server.mjs";

const shots = process.env.SCREENSHOTS || join(process.cwd(), "..", "..", "test-results");
let server, browser, signedIn;

// An EXIF block (APP1) with the camera's make and model, the lens and the date taken, in the
// layout cameras write: IFD0 (Make, Model, a pointer to the Exif IFD), then the Exif IFD
// (DateTimeOriginal, LensModel), then the strings.
function exifSegment({ make, model, lens, taken }) {
  const ifd0 = [[0x010f, make], [0x0110, model]];
  const sub = [[0x9003, taken], [0xa434, lens]];
  const ifd0Size = 2 + (ifd0.length + 1) * 12 + 4;
  const subSize = 2 + sub.length * 12 + 4;
  const tiff = Buffer.alloc(8 + ifd0Size + subSize + 256);
  tiff.write("II", 0, "latin1");
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  let data = 8 + ifd0Size + subSize;
  const table = (at, entries, extra) => {
    tiff.writeUInt16LE(entries.length + (extra ? 1 : 0), at);
    let p = at + 2;
    for (const [tag, text] of entries) {
      const bytes = Buffer.from(`${text}\0`, "latin1");
      tiff.writeUInt16LE(tag, p); tiff.writeUInt16LE(2, p + 2); tiff.writeUInt32LE(bytes.length, p + 4);
      tiff.writeUInt32LE(data, p + 8);
      bytes.copy(tiff, data);
      data += bytes.length;
      p += 12;
    }
    if (extra) {
      tiff.writeUInt16LE(extra.tag, p); tiff.writeUInt16LE(4, p + 2); tiff.writeUInt32LE(1, p + 4); tiff.writeUInt32LE(extra.value, p + 8);
      p += 12;
    }
    tiff.writeUInt32LE(0, p);
  };
  table(8, ifd0, { tag: 0x8769, value: 8 + ifd0Size });
  table(8 + ifd0Size, sub);
  const body = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff.subarray(0, data)]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

// A JPEG drawn by the browser, with an EXIF block put in after its start marker when asked.
async function jpeg(page, { w, h, hue, exif }) {
  const dataUrl = await page.evaluate(({ w, h, hue }) => {
    const c = document.createElement("canvas");
    c.width = w; c.height = h;
    const g = c.getContext("2d");
    g.fillStyle = `hsl(${hue}, 70%, 50%)`; g.fillRect(0, 0, w, h);
    g.fillStyle = `hsl(${hue + 180}, 70%, 50%)`; g.fillRect(w / 4, h / 4, w / 2, h / 2);
    return c.toDataURL("image/jpeg", 0.9);
  }, { w, h, hue });
  const bytes = Buffer.from(dataUrl.split(",")[1], "base64");
  return exif ? Buffer.concat([bytes.subarray(0, 2), exifSegment(exif), bytes.subarray(2)]) : bytes;
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await signUp(page, server.url, "tim@example.org", { name: "Tim" });
  const canon = { make: "Canon", model: "Canon EOS 5D Mark IV", lens: "EF24-70mm f/2.8L II USM" };
  const files = [
    { name: "harbour.jpg", buffer: await jpeg(page, { w: 640, h: 480, hue: 200, exif: { ...canon, taken: "2023:07:14 18:30:00" } }) },
    { name: "picnic.jpg", buffer: await jpeg(page, { w: 480, h: 640, hue: 90, exif: { ...canon, taken: "2023:07:02 12:00:00" } }) },
    { name: "snow.jpg", buffer: await jpeg(page, { w: 600, h: 400, hue: 0, exif: { make: "FUJIFILM", model: "X-T3", lens: "XF35mmF1.4 R", taken: "2021:12:25 09:15:00" } }) },
    { name: "today.jpg", buffer: await jpeg(page, { w: 500, h: 500, hue: 300 }) },
  ].map((f) => ({ ...f, mimeType: "image/jpeg" }));
  const reloaded = page.waitForEvent("load");
  await page.setInputFiles("#file-input", files);
  await reloaded;
  await page.waitForFunction(() => document.querySelectorAll("#grid .card").length === 4);
  signedIn = await context.storageState();
  await context.close();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(size = { width: 1280, height: 860 }, colorScheme = "light") {
  const context = await browser.newContext({ viewport: size, colorScheme, storageState: signedIn });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  return { context, page, errors };
}

const headings = (page) => page.$$eval(".month .month-title", (hs) => hs.map((h) => h.textContent.trim()));

test("the timeline groups photos by the month they were taken, and the scrubber jumps", async () => {
  const { context, page, errors } = await open();
  await page.goto(`${server.url}/timeline`);
  const now = new Date();
  const thisMonth = now.toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
  assert.deepEqual(await headings(page), [thisMonth, "July 2023", "December 2021"], "newest first; no date taken: the upload date");
  assert.deepEqual(await page.$$eval('.month[data-month="2023-07"] .card', (cs) => cs.map((c) => c.dataset.name)), ["harbour.jpg", "picnic.jpg"]);
  assert.equal(await page.$eval(".month-title", (h) => getComputedStyle(h).position), "sticky");

  // The viewer shows what EXIF says: date taken, camera and lens.
  await page.locator('.card[data-name="harbour.jpg"] a.open').click();
  await page.waitForSelector("#viewer-info", { state: "visible" });
  assert.equal(await page.textContent("#info-camera"), "Canon EOS 5D Mark IV", "the make is not said twice");
  assert.equal(await page.textContent("#info-lens"), "EF24-70mm f/2.8L II USM");
  assert.match(await page.textContent("#info-taken"), /July 14, 2023/);
  assert.match(await page.textContent("#info-size"), /^640 × 480 px/);
  await page.screenshot({ path: join(shots, "timeline-viewer-1280-light.png") });
  await page.keyboard.press("Escape");

  // The scrubber: years and their months; a month starts the timeline there.
  await page.click('.scrubber a[href="/timeline?month=2021-12"]');
  await page.waitForURL(/month=2021-12/);
  assert.deepEqual(await headings(page), ["December 2021"]);
  assert.equal(await page.getAttribute('.scrubber .months a[href="/timeline?month=2021-12"]', "aria-current"), "true");
  assert.deepEqual(errors, []);
  const res = await page.goto(`${server.url}/timeline?month=2021-13`);
  assert.equal(res.status(), 400, "a month that is not one is refused");
  assert.match(await page.textContent("main"), /month must look like 2024-06/);
  await context.close();
});

test("a folder with more photos than a page loads the next page on scrolling, without the layout jumping", async () => {
  const { context, page, errors } = await open();
  await page.goto(`${server.url}/gallery`);
  await page.click("#folder-menu summary");
  await page.fill("#new-folder-name", "Many");
  await page.click("text=Create folder");
  await page.click("ul.folders >> text=Many");
  await page.waitForURL(/\/gallery\/[0-9a-f]+$/);
  // 130 small photos through the page's own upload route.
  const uploaded = await page.evaluate(async (n) => {
    const folder = document.querySelector("#dropzone").dataset.folder;
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const c = document.createElement("canvas");
      c.width = 90 + (i % 5) * 20; c.height = 80;
      const g = c.getContext("2d");
      g.fillStyle = `hsl(${(i * 37) % 360}, 60%, 50%)`; g.fillRect(0, 0, c.width, c.height);
      g.fillStyle = "#fff"; g.fillText(String(i), 10, 40);
      const blob = await new Promise((r) => c.toBlob(r, "image/jpeg", 0.8));
      const form = new FormData();
      form.append("file", blob, `many-${i}.jpg`);
      form.append("folder_id", folder);
      const res = await fetch("/upload", { method: "POST", headers: { "X-CSRF-Token": csrf }, body: form });
      if (res.ok) ok += 1;
    }
    return ok;
  }, 130);
  assert.equal(uploaded, 130);
  await page.reload();
  const count = () => page.locator("#grid .card").count();
  assert.equal(await count(), 100, "one page of photos at first");
  assert.match(await page.textContent("#result-count"), /^100\+ photos/);
  // Every thumbnail's size is known before it arrives.
  assert.equal(await page.locator("#grid .card img:not([width]), #grid .card img:not([height])").count(), 0);
  const before = await page.$eval("#grid .card:nth-child(3)", (c) => JSON.stringify(c.getBoundingClientRect()));
  await page.waitForFunction(() => Array.from(document.querySelectorAll("#grid .card img")).slice(0, 12).every((i) => i.complete));
  assert.equal(await page.$eval("#grid .card:nth-child(3)", (c) => JSON.stringify(c.getBoundingClientRect())), before, "loading images moves nothing");
  await page.locator("#grid > li.more").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelectorAll("#grid .card").length === 130);
  assert.equal(await page.locator("#grid > li.more").count(), 0, "no more pages after the last");
  assert.equal(new Set(await page.$$eval("#grid .card", (cs) => cs.map((c) => c.dataset.id))).size, 130, "no photo twice");

  // The timeline pages too, and a month cut by a page is joined to its first part.
  await page.goto(`${server.url}/timeline`);
  assert.equal(await page.locator(".card").count(), 100);
  await page.locator("#timeline > .more").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelectorAll(".card").length === 134 && document.querySelectorAll(".month").length === 3);
  const thisMonth = new Date().toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
  assert.deepEqual(await headings(page), [thisMonth, "July 2023", "December 2021"]);
  // A sticky heading stays at the top while its month scrolls under it.
  await page.evaluate(() => window.scrollTo(0, 1200));
  assert.equal(await page.$eval(".month-title", (h) => Math.round(h.getBoundingClientRect().top)), 0);
  // Focus is never hidden under it (WCAG 2.4.11): tabbing to a photo the heading covers
  // scrolls it clear of the heading.
  const covered = await page.evaluate(() => {
    const bottom = document.querySelector(".month-title").getBoundingClientRect().bottom;
    const links = Array.from(document.querySelectorAll(".month .card a.open"));
    const i = links.findIndex((a) => { const r = a.getBoundingClientRect(); return r.top < bottom && r.bottom > 0; });
    if (i < 1) return null;
    links[i - 1].closest(".card").querySelector("input").focus({ preventScroll: true });
    links[i].dataset.target = "1";
    return i;
  });
  assert.ok(covered, "a photo half under the heading");
  await page.keyboard.press("Tab");
  const clear = await page.evaluate(() => {
    const target = document.activeElement;
    const heading = document.querySelector(".month-title").getBoundingClientRect();
    return { focused: target.dataset.target === "1", top: target.getBoundingClientRect().top, below: heading.bottom };
  });
  assert.ok(clear.focused, "Tab reached the photo");
  assert.ok(clear.top >= clear.below - 1, `focused photo at ${clear.top}px, under the heading that ends at ${clear.below}px`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("photos shared from a phone's share sheet are added through the service worker", async () => {
  const { context, page, errors } = await open({ width: 390, height: 844 });
  await page.goto(`${server.url}/gallery`);
  // The app is installable: a manifest with icons and a share target, and a service worker.
  const manifest = await (await page.request.get(`${server.url}/static/manifest.webmanifest`)).json();
  assert.equal(manifest.share_target.action, "/share");
  assert.ok(manifest.icons.some((i) => i.sizes === "512x512" && i.purpose === "maskable"));
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true);
  // The worker keeps the app shell, never a page or a photo.
  const kept = await page.evaluate(async () => {
    const urls = [];
    for (const name of await caches.keys()) {
      for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
    }
    return urls;
  });
  assert.ok(kept.includes("/static/app.css"));
  assert.deepEqual(kept.filter((u) => !u.startsWith("/static/")), [], "nothing but static files");

  // What the share sheet sends: a multipart POST to the share target, here from a form.
  const photo = await jpeg(page, { w: 300, h: 200, hue: 40 });
  await page.evaluate(() => {
    const form = document.createElement("form");
    form.method = "post"; form.action = "/share"; form.enctype = "multipart/form-data"; form.id = "sheet";
    form.innerHTML = '<input type="file" name="file" multiple>';
    document.body.append(form);
  });
  await page.setInputFiles("#sheet input", [{ name: "shared.jpg", mimeType: "image/jpeg", buffer: photo }]);
  await page.evaluate(() => document.querySelector("#sheet").submit());
  await page.waitForURL(/\/share$/);
  await page.waitForFunction(() => /1 shared photo to add/.test(document.querySelector("#share-status").textContent));
  assert.match(await page.textContent("#share-files"), /shared\.jpg/);
  await page.screenshot({ path: join(shots, "share-390-light.png") });
  await page.selectOption("#share-folder", { label: "Many" });
  await page.click("#share-upload");
  await page.waitForURL(/\/gallery\/[0-9a-f]+$/);
  await page.waitForSelector('#grid .card[data-name="shared.jpg"]');
  assert.equal(await page.evaluate(async () => (await (await caches.open("share-inbox")).keys()).length), 0, "the inbox is empty again");

  // Without the worker (a first visit), a share changes nothing and says why.
  const res = await page.request.post(`${server.url}/share`, { multipart: { file: { name: "x.jpg", mimeType: "image/jpeg", buffer: photo } } });
  assert.equal(res.status(), 409);
  assert.deepEqual(errors, []);
  await context.close();
});
