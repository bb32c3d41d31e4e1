// The service worker. It keeps the app shell (the files under /static/) so the gallery
// starts fast and says it is offline when it is; it never keeps a photo or a page (pages
// hold private data: names, labels, the CSRF token). It also receives photos shared to the
// gallery from a phone's share sheet (the manifest's share_target): they wait in the
// "share-inbox" cache until the /share page uploads them or they are discarded (and the
// inbox is emptied on sign-out). The server puts the version of its static files first.
const SHELL = `shell-${VERSION}`;
const INBOX = "share-inbox";
const FILES = [
  "/static/app.css", "/static/theme.js", "/static/gallery.js", "/static/voice.js", "/static/share.js",
  "/static/vendor/htmx-2.0.11.min.js", "/static/favicon.svg", "/static/icon-192.png", "/static/offline.html",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// A share: the photos go to the inbox, and the browser to the page that uploads them.
async function receive(request) {
  const form = await request.formData();
  const inbox = await caches.open(INBOX);
  let n = 0;
  for (const file of form.getAll("file")) {
    if (!(file instanceof File) || !file.size) continue;
    const key = `/share-inbox/${Date.now()}-${n++}`;
    await inbox.put(key, new Response(file, {
      headers: { "content-type": file.type || "application/octet-stream", "x-filename": encodeURIComponent(file.name || "shared photo") },
    }));
  }
  return Response.redirect("/share", 303);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/share") {
    event.respondWith(receive(request));
  } else if (request.method === "GET" && url.pathname.startsWith("/static/")) {
    // The shell from the cache when it has it (this version's), else the network.
    event.respondWith(caches.open(SHELL).then((cache) => cache.match(request)).then((hit) => hit || fetch(request)));
  } else if (request.mode === "navigate") {
    // Pages always from the network; offline, a page that says so.
    event.respondWith(fetch(request).catch(() => caches.match("/static/offline.html")));
  }
});
