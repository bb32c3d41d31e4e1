// A real OpenID Connect provider for the tests: npm oidc-provider (OpenID Certified) on a
// loopback port of its own. Prints "OIDC provider at URL" once it listens.
//
// - Clients register themselves (Dynamic Client Registration at /reg), so each test server
//   gets its own client with its own redirect URI. PKCE is required.
// - The sign-in step is a form at /interaction/UID listing the test accounts; a test (or a
//   person in a browser) picks one. Consent is implied.
// - Test switch: POST /__test/tamper {"client_id", "mode"} makes the token endpoint answer
//   that client with a changed ID token (re-signed with the provider's key unless the mode
//   is "bad-signature"): "other-issuer", "other-audience", "expired", "wrong-nonce".
import http from "node:http";
import Provider from "oidc-provider";
import * as jose from "jose";

const accounts = {
  alice: { email: "alice@example.org", email_verified: true, name: "Alice Example" },
  bob: { email: "bob@example.org", email_verified: false, name: "Bob Unverified" },
  carol: { email: "carol@example.org", email_verified: true, name: "Carol Example" },
};

const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };
const tamper = new Map(); // client_id -> mode

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: ["gallery-test-cookie-key"] },
  findAccount: async (ctx, id) =>
    accounts[id] && { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  conformIdTokenClaims: false,
  pkce: { methods: ["S256"], required: () => true },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
});

async function tampered(idToken, mode) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (mode === "other-issuer") claims.iss = "http://127.0.0.1:9/not-the-issuer";
  if (mode === "other-audience") claims.aud = "somebody-else";
  if (mode === "expired") { claims.iat = now - 7200; claims.exp = now - 3600; }
  if (mode === "wrong-nonce") claims.nonce = "not-the-nonce";
  const key = mode === "bad-signature" ? (await jose.generateKeyPair("RS256")).privateKey : privateKey;
  return new jose.SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "test-key" }).sign(key);
}

provider.use(async (ctx, next) => {
  await next();
  const mode = ctx.oidc?.client && tamper.get(ctx.oidc.client.clientId);
  if (ctx.path === "/token" && mode && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token, mode) };
  }
});

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

async function body(req) {
  let data = "";
  for await (const chunk of req) data += chunk;
  return data;
}

const callback = provider.callback();
server.on("request", async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    const interaction = url.pathname.match(/^\/interaction\/([\w-]+)$/);
    if (interaction && req.method === "GET") {
      await provider.interactionDetails(req, res);
      const options = Object.keys(accounts).map((a) => `<option value="${a}">${escape(accounts[a].email)}</option>`);
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(`<!doctype html><title>Test provider sign-in</title><form method="post" action="${escape(url.pathname)}">
        <label>Account <select name="account">${options.join("")}</select></label>
        <button type="submit">Continue</button></form>`);
    } else if (interaction && req.method === "POST") {
      const account = new URLSearchParams(await body(req)).get("account");
      if (!accounts[account]) { res.statusCode = 400; return res.end("unknown account"); }
      await provider.interactionFinished(req, res, { login: { accountId: account } }, { mergeWithLastSubmission: false });
    } else if (url.pathname === "/__test/tamper" && req.method === "POST") {
      const { client_id: clientId, mode } = JSON.parse(await body(req));
      if (mode) tamper.set(clientId, mode); else tamper.delete(clientId);
      res.end("ok");
    } else {
      callback(req, res);
    }
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});

console.log(`OIDC provider at ${issuer}`);
