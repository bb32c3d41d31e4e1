// Voice in a real browser: a test-only stand-in for SpeechRecognition emits given
// transcripts; the page sends them to the server and performs what comes back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, launchBrowser, signUp } from "./server.mjs";

const shots = process.env.SCREENSHOTS || join(process.cwd(), "..", "..", "test-results");
const testdata = join(process.cwd(), "..", "..", "classifier-lambda", "testdata");
let server, browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Installed before any page script: recognition that "hears" what the test says.
function fakeRecognition() {
  class FakeRecognition {
    constructor() { window.fakeRecognition = this; }
    start() { this.running = true; window.recognitionStarts = (window.recognitionStarts || 0) + 1; }
    stop() { this.running = false; if (this.onend) setTimeout(() => this.onend(), 0); }
  }
  window.SpeechRecognition = FakeRecognition;
  window.webkitSpeechRecognition = FakeRecognition;
  window.hear = (text) => {
    const r = window.fakeRecognition;
    if (!r || !r.running) throw new Error("the microphone is off");
    const interim = [{ transcript: text.split(" ").slice(0, 2).join(" ") }];
    interim.isFinal = false;
    r.onresult({ resultIndex: 0, results: [interim] });
    const final = [{ transcript: text, confidence: 0.9 }];
    final.isFinal = true;
    r.onresult({ resultIndex: 0, results: [final] });
  };
}

async function hear(page, text) {
  await page.waitForFunction(() => window.fakeRecognition && window.fakeRecognition.running);
  const answered = page.evaluate(() => new Promise((resolve) =>
    document.addEventListener("voice:answer", (e) => resolve(e.detail), { once: true })));
  await page.evaluate((t) => window.hear(t), text);
  return answered;
}

test("voice commands open a folder, search, open a photo and delete it after a yes", async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await context.addInitScript(fakeRecognition);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

  await signUp(page, server.url, "vee@example.org");
  await page.click("#folder-menu summary");
  await page.fill("#new-folder-name", "Vacation");
  await page.click("text=Create folder");
  await page.click("ul.folders >> text=Vacation");
  await page.waitForURL(/\/gallery\/[0-9a-f]+$/);
  const vacationUrl = page.url();
  const reloaded = page.waitForEvent("load");
  await page.setInputFiles("#file-input", [
    { name: "dog-on-the-beach.jpg", mimeType: "image/jpeg", buffer: readFileSync(join(testdata, "chelsea.jpg")) },
    { name: "dog-in-the-park.jpg", mimeType: "image/jpeg", buffer: readFileSync(join(testdata, "rocket.jpg")) },
    { name: "coffee.png", mimeType: "image/png", buffer: readFileSync(join(testdata, "coffee.png")) },
  ]);
  await reloaded;
  await page.goto(`${server.url}/gallery`);

  // The microphone button starts listening (and says so).
  await page.click("#voice-button");
  assert.equal(await page.getAttribute("#voice-button", "aria-pressed"), "true");

  let answer = await hear(page, "open the vacation folder");
  assert.equal(answer.intent, "open_folder");
  await page.waitForURL(vacationUrl);
  assert.equal(await page.locator("#grid .card").count(), 3);

  // Listening goes on across the navigation.
  answer = await hear(page, "show me pictures of dogs");
  assert.equal(answer.intent, "search");
  await page.waitForURL(/q=dogs/);
  assert.equal(await page.locator("#grid .card").count(), 2);
  assert.match(await page.textContent("main h2"), /matching “dogs”/);

  answer = await hear(page, "open the second one");
  assert.equal(answer.intent, "open_image");
  await page.locator("#viewer").waitFor({ state: "visible" });
  assert.match(await page.textContent("#viewer-title"), /2 of 2/);
  const opened = await page.evaluate(() => document.querySelectorAll("#grid .card")[1].dataset.name);

  answer = await hear(page, "delete this photo");
  assert.equal(answer.action.kind, "confirm");
  await page.locator("#voice-confirm").waitFor({ state: "visible" });
  assert.match(await page.textContent("#voice-confirm-question"), /Delete 1 photo\?/);
  await page.screenshot({ path: join(shots, "voice-confirm.png") });
  assert.equal(await page.locator("#grid .card").count(), 2, "nothing deleted before the yes");

  answer = await hear(page, "yes");
  assert.equal(answer.intent, "confirm");
  await page.waitForURL(vacationUrl);
  const names = await page.locator("#grid .card").evaluateAll((cards) => cards.map((c) => c.dataset.name));
  assert.equal(names.length, 2);
  assert.ok(!names.includes(opened), `${opened} is gone`);

  // Not a gallery command: nothing changes but a hint.
  const before = page.url();
  answer = await hear(page, "what's the weather like");
  assert.equal(answer.intent, "none");
  assert.equal(page.url(), before);
  assert.equal(await page.locator("#grid .card").count(), 2);
  assert.match(await page.textContent("#voice-reply"), /help/);
  await page.screenshot({ path: join(shots, "voice.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

test("without speech recognition the command box takes typed commands", async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => { delete window.SpeechRecognition; delete window.webkitSpeechRecognition; });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill('input[name="email"]', "vee@example.org");
  await page.fill('input[name="password"]', "correct horse battery");
  await page.click('main button[type="submit"]');
  await page.waitForURL(/\/gallery$/);
  // Recognition falls to the server; the browser's own cannot be chosen.
  assert.equal(await page.inputValue("#voice-engine"), "server");
  assert.equal(await page.isDisabled('#voice-engine option[value="browser"]'), true);
  await page.fill("#voice-text", "open the vacation folder");
  await page.press("#voice-text", "Enter");
  await page.waitForURL(/\/gallery\/[0-9a-f]+$/);
  assert.match(await page.textContent(".crumbs"), /Vacation/);
  await context.close();
});

// A WAV as the microphone: 1 s of silence, a spoken command, 2 s of silence.
function paddedWav(path, out) {
  const wav = readFileSync(path);
  const rate = wav.readUInt32LE(24);
  const data = wav.subarray(44);
  const silence = (s) => Buffer.alloc(Math.round(s * rate) * 2);
  const body = Buffer.concat([silence(1), data, silence(2)]);
  const head = Buffer.from(wav.subarray(0, 44));
  head.writeUInt32LE(36 + body.length, 4);
  head.writeUInt32LE(body.length, 40);
  writeFileSync(out, Buffer.concat([head, body]));
}

test("with server recognition the page records a command, shows the level and the words, and acts", async () => {
  const wav = join(server.dir, "command.wav");
  paddedWav(join(process.cwd(), "..", "..", "speech", "tests", "data", "show-me-pictures-of-my-dog.wav"), wav);
  const listening = await launchBrowser([
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${wav}%noloop`, "--autoplay-policy=no-user-gesture-required",
  ]);
  try {
    const context = await listening.newContext();
    await context.addInitScript(() => { delete window.SpeechRecognition; delete window.webkitSpeechRecognition; });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await signUp(page, server.url, "wes@example.org");
    const transcribed = page.waitForResponse((r) => r.url().endsWith("/voice/transcribe"), { timeout: 30000 });
    await page.click("#voice-button");
    // The level meter shows while listening, and moves with the voice.
    await page.waitForSelector("#voice-level:not([hidden])");
    await page.waitForFunction(() => document.querySelector("#voice-level").value > 0.3, null, { timeout: 10000 });
    const response = await transcribed;
    assert.equal(response.status(), 200);
    assert.equal(response.request().headers()["content-type"], "audio/wav");
    const heard = await response.json();
    // The word that matters, whatever else the CPU's kernels made of the rest.
    assert.match(heard.transcript.toLowerCase(), /\bdog\b/);
    // The words go the way typed ones do: a search for dogs.
    await page.waitForURL(/q=dog/, { timeout: 15000 });
    assert.match(await page.textContent("#result-count"), /matching/);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await listening.close();
  }
});
