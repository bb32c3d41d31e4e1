// The account in a real browser: "Forgot password?" with the letter read from the tests'
// SMTP server (aiosmtpd, scripts/test.sh), and two-step sign-in set up from the account
// page's QR code secret, then used to sign in, with a code the test computes as an
// authenticator app would (RFC 6238). The account and second-step pages pass axe-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { startServer, launchBrowser, signUp } from "./server.mjs";

const shots = process.env.SCREENSHOTS || join(process.cwd(), "..", "..", "test-results");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const mailDir = process.env.GALLERY_TEST_MAIL_DIR;
let server, browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  if (!process.env.GALLERY_TEST_SMTP || !mailDir) {
    throw new Error("GALLERY_TEST_SMTP and GALLERY_TEST_MAIL_DIR are not set: run scripts/test.sh");
  }
  server = await startServer({ GALLERY_SMTP_URL: `smtp://${process.env.GALLERY_TEST_SMTP}` });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function axe(page, name) {
  await page.screenshot({ path: join(shots, `account-${name}.png`), fullPage: true });
  await page.evaluate(axeSource);
  const violations = await page.evaluate((values) =>
    window.axe.run(document, { runOnly: { type: "tag", values } }).then((r) =>
      r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)), TAGS);
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
}

// The newest letter to `to` whose subject holds `subject`, as plain text (soft line breaks
// of quoted-printable undone), waiting up to 20 s for it.
async function letter(to, subject) {
  const start = Date.now();
  while (Date.now() - start < 20000) {
    const found = readdirSync(mailDir).filter((f) => f.endsWith(".eml")).sort().reverse()
      .map((f) => readFileSync(join(mailDir, f), "utf8"))
      .find((m) => m.startsWith(`X-Envelope-To: ${to}\r\n`) && m.includes(subject));
    if (found) return found.replace(/=\r\n/g, "").replace(/=3D/g, "=");
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no letter "${subject}" to ${to}`);
}

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

// What an authenticator app shows for `secret` at `seconds`.
function totp(secret, seconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1000000).padStart(6, "0");
}

async function signOut(page) {
  await page.goto(`${server.url}/account`);
  await page.evaluate(() => document.querySelector('form[action="/logout"]').submit());
  await page.waitForURL(/\/login/);
}

test("a forgotten password is set again from the mailed link", async () => {
  const page = await browser.newPage();
  await signUp(page, server.url, "nell@example.org", { name: "Nell" });
  await signOut(page);
  await page.click('a[href="/forgot-password"]');
  await page.fill('input[name="email"]', "nell@example.org");
  await page.click('main button[type="submit"]');
  await page.waitForSelector('p[role="status"]');
  assert.match(await page.textContent("main"), /on its way/);
  const mail = await letter("nell@example.org", "Choose a new password");
  const link = mail.match(/http:\/\/\S+\/reset-password\?token=[0-9a-f]+/)[0];
  assert.ok(link.startsWith(server.url), link);
  await page.goto(link);
  await page.fill('input[name="password"]', "a new and long passphrase");
  await page.click('main button[type="submit"]');
  await page.waitForSelector('p[role="status"]');
  await page.goto(`${server.url}/login`);
  await page.fill('input[name="email"]', "nell@example.org");
  await page.fill('input[name="password"]', "a new and long passphrase");
  await page.click('main button[type="submit"]');
  await page.waitForURL(/\/gallery/);
  await page.close();
});

test("two-step sign-in is set up from the account page and asked for at sign-in", async () => {
  const page = await browser.newPage();
  await signUp(page, server.url, "otto@example.org", { name: "Otto" });
  await page.goto(`${server.url}/account`);
  await axe(page, "page");
  await page.click('form[action="/account/two-step"] button');
  await page.waitForSelector("#totp-secret");
  assert.equal(await page.locator(".qr svg").count(), 1, "a QR code");
  const secret = (await page.textContent("#totp-secret")).trim();
  await page.fill('input[name="code"]', totp(secret, Date.now() / 1000 - 30));
  await page.click('form[action="/account/two-step/confirm"] button');
  await page.waitForSelector("#recovery-codes");
  assert.equal(await page.locator("#recovery-codes li").count(), 10);
  await axe(page, "recovery-codes");

  await signOut(page);
  await page.fill('input[name="email"]', "otto@example.org");
  await page.fill('input[name="password"]', "correct horse battery");
  await page.click('main button[type="submit"]');
  await page.waitForSelector('input[name="code"]');
  await axe(page, "second-step");
  // The half-signed-in browser reaches nothing.
  const direct = await page.context().request.get(`${server.url}/gallery`, { maxRedirects: 0 });
  assert.equal(direct.status(), 303);
  await page.fill('input[name="code"]', totp(secret, Date.now() / 1000));
  await page.click('main button[type="submit"]');
  await page.waitForURL(/\/gallery/);
  await page.close();
});
