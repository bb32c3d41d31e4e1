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
