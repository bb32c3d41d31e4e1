// The /share page: photos shared to the gallery from a phone's share sheet wait in the
// service worker's inbox (static/sw.js); this page lists them and uploads them to the chosen
// folder through the same upload route as the gallery page, with the page's CSRF token.
(function () {
  "use strict";
  const $ = (sel) => document.querySelector(sel);
  const INBOX = "share-inbox";
  const csrf = () => ($('meta[name="csrf-token"]') || {}).content || "";

  async function waiting() {
    if (!window.caches) return [];
    const inbox = await caches.open(INBOX);
    const found = [];
    for (const request of await inbox.keys()) {
      const response = await inbox.match(request);
      const name = decodeURIComponent(response.headers.get("x-filename") || "shared photo");
      const blob = await response.blob();
      found.push({ request, file: new File([blob], name, { type: blob.type }) });
    }
    return found;
  }

  function upload(file, folder) {
    const form = new FormData();
    form.append("file", file, file.name);
    if (folder) form.append("folder_id", folder);
    return fetch("/upload", { method: "POST", headers: { "X-CSRF-Token": csrf() }, body: form })
      .then(async (res) => (res.ok ? null : ((await res.json().catch(() => ({}))).error || `upload failed (${res.status})`)))
      .catch(() => "the connection failed");
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const list = $("#share-files"), status = $("#share-status"), send = $("#share-upload"), discard = $("#share-discard");
    if (!list) return;
    const items = await waiting();
    list.textContent = "";
    for (const { file } of items) {
      const li = document.createElement("li");
      const img = document.createElement("img");
      img.src = URL.createObjectURL(file);
      img.alt = "";
      img.width = 96;
      img.height = 96;
      li.append(img, document.createTextNode(` ${file.name}`));
      list.append(li);
    }
    status.textContent = items.length ? `${items.length} shared photo${items.length === 1 ? "" : "s"} to add.` : "There are no shared photos waiting.";
    send.disabled = discard.disabled = !items.length;
    const inbox = () => caches.open(INBOX);
    discard.addEventListener("click", async () => {
      const box = await inbox();
      for (const { request } of items) await box.delete(request);
      window.location.assign("/gallery");
    });
    send.addEventListener("click", async () => {
      send.disabled = discard.disabled = true;
      const folder = $("#share-folder").value;
      const box = await inbox();
      let failed = 0;
      for (const [i, { request, file }] of items.entries()) {
        status.textContent = `Uploading ${i + 1} of ${items.length}: ${file.name}`;
        const error = await upload(file, folder);
        if (error) {
          failed += 1;
          const li = document.createElement("li");
          li.textContent = `${file.name}: ${error}`;
          $("#share-errors").append(li);
        } else {
          await box.delete(request);
        }
      }
      status.textContent = `${items.length - failed} of ${items.length} uploaded`;
      if (!failed) {
        sessionStorage.setItem("upload-done", status.textContent);
        window.location.assign(folder ? `/gallery/${encodeURIComponent(folder)}` : "/gallery");
      } else {
        send.disabled = false;
      }
    });
  });
})();
