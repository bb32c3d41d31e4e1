// The admin dashboard refreshes its live panels every few seconds (htmx polling). A
// refresh waits while the keyboard focus is inside them or the pointer is on a button,
// so that nobody loses their place or a half-pressed button; and while the tab is hidden.
(function () {
  "use strict";
  let pointerInside = false;
  document.addEventListener("pointerover", (e) => {
    const live = document.getElementById("live");
    pointerInside = !!(live && live.contains(e.target) && e.target.closest("button, a, input, select, textarea"));
  });
  document.addEventListener("htmx:beforeRequest", (e) => {
    const live = document.getElementById("live");
    if (!live || e.detail.elt !== live) return;
    const focused = document.activeElement;
    if (document.hidden || pointerInside || (focused && focused !== document.body && live.contains(focused))) {
      e.preventDefault();
    }
  });
})();

// Registering a classifier: the form goes as multipart with the page's CSRF token; the
// server checks the model (it loads, runs a photo in time, its outputs match the labels)
// and says why when it refuses it.
(function () {
  "use strict";
  const form = document.getElementById("model-form");
  if (!form) return;
  const status = document.getElementById("model-status");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const data = new FormData(form);
    const labels = form.elements.labels.files[0];
    if (labels) data.set("labels", await labels.text());
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.textContent = "Uploading and checking the model…";
    try {
      const res = await fetch("/admin/models", { method: "POST", body: data, headers: { "X-CSRF-Token": token }, credentials: "same-origin" });
      let body = {};
      try { body = await res.json(); } catch (_) { /* not JSON */ }
      if (res.ok) {
        status.textContent = `Registered ${body.name}: ${body.classes} labels, ${Math.round(body.check_ms)} ms for one photo.`;
        setTimeout(() => location.reload(), 1200);
      } else {
        status.textContent = `Not registered: ${body.error || `the server answered ${res.status}`}`;
      }
    } catch (err) {
      status.textContent = `Not registered: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  });
})();
