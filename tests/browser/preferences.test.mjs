// Dark mode follows the system unless the person picks a theme, which stays picked; the
// viewer does not animate for someone who asked for less motion; the single-key shortcut
// can be switched off (WCAG 2.1.4).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
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

const background = (page) => page.evaluate(() => getComputedStyle(document.body.parentElement).backgroundColor);
// Relative luminance of an "rgb(r, g, b)" colour, 0 (black) to 1 (white).
function luminance(rgb) {
  const [r, g, b] = rgb.match(/\d+/g).slice(0, 3).map((v) => Number(v) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

test("the theme follows the system, and a chosen theme holds over the system's", async () => {
  const context = await browser.newContext({ colorScheme: "dark", viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(`${server.url}/login`);
  assert.ok(luminance(await background(page)) < 0.2, "dark, as the system asks");
  assert.equal(await page.inputValue("#theme"), "system");
  await page.screenshot({ path: join(shots, "theme-system-dark.png") });

  await page.selectOption("#theme", "light");
  assert.ok(luminance(await background(page)) > 0.8, "light, as chosen");
  await page.reload();
  assert.ok(luminance(await background(page)) > 0.8, "still light after a reload");
  assert.equal(await page.inputValue("#theme"), "light");
  await page.screenshot({ path: join(shots, "theme-chosen-light.png") });

  // On a light system, "dark" holds too; "system" gives the system's back.
  await page.emulateMedia({ colorScheme: "light" });
  await page.selectOption("#theme", "dark");
  await page.reload();
  assert.ok(luminance(await background(page)) < 0.2, "dark, as chosen");
  await page.selectOption("#theme", "system");
  assert.ok(luminance(await background(page)) > 0.8, "light, as the system says");
  assert.deepEqual(errors, []);
  await context.close();
});

test("less motion when the system asks for it", async () => {
  for (const [reducedMotion, moves] of [["no-preference", true], ["reduce", false]]) {
    const context = await browser.newContext({ reducedMotion });
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    // The viewer's photo zooms with a transition; an element with its class shows the rule.
    const duration = await page.evaluate(() => {
      const stage = document.createElement("div");
      stage.className = "viewer-stage";
      const img = document.createElement("img");
      stage.append(img);
      document.body.append(stage);
      return getComputedStyle(img).transitionDuration;
    });
    assert.equal(duration !== "0s", moves, `${reducedMotion}: ${duration}`);
    await context.close();
  }
});

test("the single-key shortcut can be switched off, and Alt+V still works", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUp(page, server.url, "keys@example.org");
  // Count what the shortcut does: a click on the microphone button.
  const clicks = () => page.evaluate(() => window.micClicks);
  const count = () => page.evaluate(() => {
    window.micClicks = 0;
    document.getElementById("voice-button").addEventListener("click", (e) => { window.micClicks++; e.stopImmediatePropagation(); }, true);
  });
  await count();
  await page.locator("body").press("v");
  assert.equal(await clicks(), 1, "V presses the button");
  // The switch is in the account menu.
  await page.click("#account-menu summary");
  await page.uncheck("#voice-keys");
  await page.reload();
  await count();
  assert.equal(await page.isChecked("#voice-keys"), false, "the choice is kept");
  await page.locator("body").press("v");
  assert.equal(await clicks(), 0, "V does nothing once switched off");
  await page.locator("body").press("Alt+v");
  assert.equal(await clicks(), 1, "Alt+V still does");
  await context.close();
});
