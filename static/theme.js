// The Theme switch: "system" follows the system's light or dark (prefers-color-scheme);
// "light" and "dark" hold whatever the system says. Kept in this browser (localStorage),
// applied before the page paints (this script is loaded in <head>, not deferred).
(function () {
  "use strict";
  const KEY = "gallery-theme";
  const root = document.documentElement;
  // Scripts run: the page's CSS may hide what the scripts show when needed (the selection
  // toolbar) without hiding it from a browser without them.
  root.classList.add("js");
  function apply(theme) {
    if (theme === "light" || theme === "dark") root.dataset.theme = theme;
    else delete root.dataset.theme;
  }
  let saved = null;
  try { saved = localStorage.getItem(KEY); } catch (_) { /* storage off: follow the system */ }
  apply(saved);
  document.addEventListener("DOMContentLoaded", () => {
    const select = document.getElementById("theme");
    if (!select) return;
    select.value = saved === "light" || saved === "dark" ? saved : "system";
    select.addEventListener("change", () => {
      apply(select.value);
      try {
        if (select.value === "system") localStorage.removeItem(KEY);
        else localStorage.setItem(KEY, select.value);
      } catch (_) { /* not kept: this page still shows it */ }
    });
  });
})();
