// Passkeys (WebAuthn) on the sign-in, second-step and account pages: the server starts a
// ceremony and finishes it (/login/passkey/…, /account/passkeys/…); this script hands the
// options to the browser's authenticator and the answer back, as JSON with base64url.
(() => {
  "use strict";
  const supported = !!(window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON);
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const error = (text) => {
    const box = document.getElementById("passkey-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  };

  async function post(path, body) {
    const res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    if (!res.ok && !res.redirected) {
      let message = `the server answered ${res.status}`;
      try { message = (await res.json()).error || message; } catch (_) { /* not JSON */ }
      throw new Error(message);
    }
    return res;
  }

  // A ceremony with an existing passkey (signing in, or confirming a deletion): the options
  // from `start`, the authenticator's answer to `finish`, then where the server sends us.
  async function signIn(start, finish) {
    error("");
    const { challenge, options } = await (await post(start)).json();
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
    const credential = await navigator.credentials.get({ publicKey });
    const res = await post(finish, { challenge, credential: credential.toJSON() });
    window.location.assign(res.redirected ? res.url : "/");
  }

  async function register(form) {
    error("");
    const name = form.elements.name.value;
    const { challenge, options } = await (await post("/account/passkeys/start")).json();
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey);
    // A passkey that names its account, so that it can sign in alone.
    publicKey.authenticatorSelection = {
      ...(publicKey.authenticatorSelection || {}),
      residentKey: "required",
      requireResidentKey: true,
      userVerification: "required",
    };
    const credential = await navigator.credentials.create({ publicKey });
    const res = await post("/account/passkeys/finish", { challenge, name, credential: credential.toJSON() });
    const { recovery_codes: codes } = await res.json();
    if (codes && codes.length) {
      // Shown once: the way in when no passkey is at hand.
      const list = document.getElementById("passkey-recovery-codes");
      list.replaceChildren(...codes.map((c) => {
        const li = document.createElement("li");
        const code = document.createElement("code");
        code.textContent = c;
        li.append(code);
        return li;
      }));
      list.hidden = false;
      const note = document.createElement("p");
      note.className = "notice";
      note.setAttribute("role", "status");
      note.textContent = "Your passkey is added. Keep these recovery codes somewhere safe: each works once, when no passkey is at hand. They are shown only now. Reload the page to see your passkeys.";
      list.before(note);
      return;
    }
    window.location.reload();
  }

  const fail = (e) => error(e && e.name === "NotAllowedError"
    ? "The passkey was not used (cancelled, timed out, or none for this gallery)."
    : `The passkey did not work: ${e.message || e}`);

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-passkey]").forEach((el) => {
      if (!supported) {
        if (el.dataset.passkey === "register") error("This browser cannot use passkeys.");
        return;
      }
      el.hidden = false;
      if (el.dataset.passkey === "register") {
        el.addEventListener("submit", (event) => { event.preventDefault(); register(el).catch(fail); });
      } else if (el.dataset.passkey === "sign-in") {
        el.addEventListener("click", () => signIn("/login/passkey/start", "/login/passkey/finish").catch(fail));
      } else if (el.dataset.passkey === "delete") {
        el.addEventListener("click", () => {
          if (!window.confirm("Delete your account and everything in it, for good?")) return;
          signIn("/account/delete/passkey/start", "/account/delete/passkey/finish").catch(fail);
        });
      } else if (el.dataset.passkey === "second-step") {
        el.addEventListener("click", () => signIn("/login/passkey/second/start", "/login/passkey/second/finish").catch(fail));
      }
    });
  });
})();
