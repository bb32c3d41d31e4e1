// Starts the real gallery binary on a free port with a fresh database and storage folder.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export async function startServer(extraEnv = {}) {
  const bin = process.env.GALLERY_BIN;
  if (!bin) throw new Error("set GALLERY_BIN to the built gallery binary (scripts/test.sh does)");
  const dir = mkdtempSync(join(tmpdir(), "gallery-browser-"));
  const child = spawn(bin, ["serve"], {
    env: {
      ...process.env,
      GALLERY_BIND: "127.0.0.1:0",
      GALLERY_DATABASE_URL: `sqlite://${dir}/gallery.db`,
      GALLERY_STORAGE: `fs:${dir}/objects`,
      GALLERY_PUBLIC_URL: "",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/running at (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return {
    url,
    dir,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", ...extraArgs],
  });
}

// Signs up through the sign-up page (the first account is the admin) and waits for the
// gallery; the page is then signed in.
export async function signUp(page, url, email, { name, password = "correct horse battery" } = {}) {
  await page.goto(`${url}/signup`);
  await page.fill('input[name="email"]', email);
  if (name) await page.fill('input[name="display_name"]', name);
  await page.fill('input[name="password"]', password);
  await page.click('main button[type="submit"]');
  await page.waitForURL(/\/gallery$/);
}
