// Passkeys in a real browser, with Chromium's virtual authenticator (the DevTools WebAuthn
// domain through playwright-core): one is added on the account page (and recovery codes
// come with it), then signs in alone and serves as the second step after the password. A
// passkey of one account cannot sign in another: not by claiming the other's user handle,
// nor as the other's second step. A passkey also confirms "delete my account". Passkeys need a name, so the pages are opened at
// localhost (the gallery's relying party when it listens on loopback).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser } from "./server.mjs";

let server, browser, base;

before(async () => {
  server = await startServer();
  base = server.url.replace("127.0.0.1", "localhost");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// A browser profile of its own with a virtual platform authenticator (user verified).
async function withAuthenticator() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { context, page };
}

async function signUp(page, email) {
  await page.goto(`${base}/signup`);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', "correct horse battery");
  await page.click('main button[type="submit"]');
  await page.waitForURL(/\/gallery/);
}

async function signOut(page) {
  await page.goto(`${base}/account`);
  await page.evaluate(() => document.querySelector('form[action="/logout"]').submit());
  await page.waitForURL(/\/login/);
}

async function addPasskey(page, name) {
  await page.goto(`${base}/account`);
  await page.fill('#add-passkey input[name="name"]', name);
  await page.click('#add-passkey button[type="submit"]');
  await page.waitForSelector("#passkey-recovery-codes li");
  assert.equal(await page.locator("#passkey-recovery-codes li").count(), 10);
  await page.reload();
  assert.match(await page.textContent("#passkeys"), new RegExp(name));
}

async function passwordFirst(page, email) {
  await page.goto(`${base}/login`);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', "correct horse battery");
  await page.click('main form[action="/login"] button[type="submit"]');
  await page.waitForSelector("#passkey-second-step");
}

test("a passkey signs in alone and as the second step, and only its own account", async () => {
  const ada = await withAuthenticator();
  await signUp(ada.page, "ada@example.org");
  await addPasskey(ada.page, "Ada's laptop");
  await signOut(ada.page);

  // A passkey alone.
  await ada.page.click("#passkey-sign-in");
  await ada.page.waitForURL(/\/gallery/);
  await signOut(ada.page);

  // After the password, the passkey is the second step.
  await passwordFirst(ada.page, "ada@example.org");
  await ada.page.click("#passkey-second-step");
  await ada.page.waitForURL(/\/gallery/);
  await signOut(ada.page);

  // Bob, with a passkey of his own on another device.
  const bob = await withAuthenticator();
  await signUp(bob.page, "bob@example.org");
  await addPasskey(bob.page, "Bob's phone");
  const bobHandle = await bob.page.evaluate(async () => {
    // Bob's WebAuthn user handle: what his own passkey names (a discoverable sign-in's
    // options do not say it, so read it from a registration's options).
    const res = await fetch("/account/passkeys/start", {
      method: "POST",
      headers: { "Content-Type": "application/json",
        "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content },
      body: "{}",
    });
    return (await res.json()).options.publicKey.user.id;
  });
  await signOut(bob.page);

  // Ada's passkey claiming to be Bob's (his user handle in place of hers): refused.
  const forged = await ada.page.evaluate(async (handle) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const post = (path, body) => fetch(path, { method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } });
    const { challenge, options } = await (await post("/login/passkey/start", {})).json();
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
    const credential = (await navigator.credentials.get({ publicKey })).toJSON();
    credential.response.userHandle = handle;
    const res = await post("/login/passkey/finish", { challenge, credential });
    return res.status;
  }, bobHandle);
  assert.equal(forged, 401, "another account's user handle on Ada's passkey");

  // Bob's password in Ada's browser: her passkey is not his second step.
  await passwordFirst(ada.page, "bob@example.org");
  await ada.page.click("#passkey-second-step");
  await ada.page.waitForSelector("#passkey-error:not([hidden])");
  assert.match(ada.page.url(), /\/login/);
  const secondStep = await ada.page.evaluate(async () => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const post = (path, body) => fetch(path, { method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } });
    // An assertion of Ada's passkey (from a sign-in ceremony) for Bob's second step.
    const own = await (await post("/login/passkey/start", {})).json();
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(own.options.publicKey);
    const credential = (await navigator.credentials.get({ publicKey })).toJSON();
    const bobs = await (await post("/login/passkey/second/start", {})).json();
    const res = await post("/login/passkey/second/finish", { challenge: bobs.challenge, credential });
    return res.status;
  });
  assert.ok([400, 401].includes(secondStep), `Ada's passkey as Bob's second step: ${secondStep}`);
  const gallery = await ada.page.context().request.get(`${base}/gallery`, { maxRedirects: 0 });
  assert.equal(gallery.status(), 303, "not signed in");

  // Bob leaves, confirming with his passkey instead of his password.
  await bob.page.goto(`${base}/login`);
  await bob.page.click("#passkey-sign-in");
  await bob.page.waitForURL(/\/gallery/);
  await bob.page.goto(`${base}/account`);
  bob.page.once("dialog", (dialog) => dialog.accept());
  await bob.page.click("#delete-with-passkey");
  await bob.page.waitForURL(/\/login\?deleted=1/);
  const again = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: "bob@example.org", password: "correct horse battery" }),
  });
  assert.equal(again.status, 401, "the account is gone");

  await ada.context.close();
  await bob.context.close();
});
