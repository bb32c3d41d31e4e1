// Gallery pages: justified grid, uploads with progress, selection and the photo viewer.
// Everything here upgrades pages that also work without it.
(function () {
  "use strict";
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const csrf = () => ($('meta[name="csrf-token"]') || {}).content || "";

  // Justified rows: each card's width follows its thumbnail's aspect ratio.
  function justify() {
    const row = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--row")) || 200;
    for (const grid of $$(".grid")) {
      for (const card of $$(".card", grid)) {
        const ratio = (Number(card.dataset.w) || 1) / (Number(card.dataset.h) || 1);
        card.style.flexGrow = String(ratio);
        card.style.width = `${Math.round(ratio * row)}px`;
      }
      grid.classList.add("justified");
    }
  }

  // The timeline's pages arrive as months; a month cut by a page joins the one before.
  function joinMonths() {
    let previous = null;
    for (const month of $$("#timeline > .month")) {
      if (previous && previous.dataset.month === month.dataset.month) {
        $(".grid", previous).append(...$$(".grid > .card", month));
        month.remove();
      } else {
        previous = month;
      }
    }
  }

  // A card's labels and their confidences ("golden retriever:93|tennis ball:4").
  const scoresOf = (card) => (card.dataset.scores || "").split("|").filter(Boolean).map((pair) => {
    const at = pair.lastIndexOf(":");
    return { label: pair.slice(0, at), percent: pair.slice(at + 1) };
  });

  // Classification results are announced as they come (the cards change silently).
  const statuses = new Map();
  function announceResults() {
    const said = [];
    for (const card of $$(".grid .card")) {
      const before = statuses.get(card.dataset.id);
      const now = card.dataset.status;
      if (before && before !== now && (now === "done" || now === "error")) {
        said.push(now === "done" ? `${card.dataset.name}: ${scoresOf(card).map((s) => s.label).join(", ") || "no labels"}` : `${card.dataset.name} could not be classified`);
      }
      statuses.set(card.dataset.id, now);
    }
    const out = $("#announcer");
    if (said.length && out) out.textContent = `Classified ${said.join("; ")}.`;
  }

  // Uploads: one request per file so each gets its own answer; a bar shows the total.
  function setupUpload() {
    const zone = $("#dropzone"), input = $("#file-input");
    if (!zone || !input) return;
    const bar = $("#upload-progress"), status = $("#upload-status"), errors = $("#upload-errors");
    const send = (file, onProgress) => new Promise((resolve) => {
      const form = new FormData();
      form.append("file", file, file.name);
      if (zone.dataset.folder) form.append("folder_id", zone.dataset.folder);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/upload");
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => {
        let message = null;
        if (xhr.status >= 300) {
          try { message = JSON.parse(xhr.responseText).error; } catch (_) { message = `upload failed (${xhr.status})`; }
        }
        resolve(message);
      };
      xhr.onerror = () => resolve("the connection failed");
      xhr.send(form);
    });
    async function uploadAll(files) {
      files = Array.from(files);
      if (!files.length) return;
      const total = files.reduce((n, f) => n + f.size, 0) || 1;
      let done = 0, failed = 0;
      errors.textContent = "";
      bar.hidden = false;
      for (const [i, file] of files.entries()) {
        status.textContent = `Uploading ${i + 1} of ${files.length}: ${file.name}`;
        const error = await send(file, (loaded) => { bar.value = ((done + loaded) / total) * 100; });
        done += file.size;
        bar.value = (done / total) * 100;
        if (error) {
          failed += 1;
          const li = document.createElement("li");
          li.textContent = `${file.name}: ${error}`;
          errors.appendChild(li);
        }
      }
      status.textContent = `${files.length - failed} of ${files.length} uploaded`;
      // Keep the message through the reload, so it is still heard and seen.
      sessionStorage.setItem("upload-done", status.textContent);
      if (failed < files.length) window.location.reload();
    }
    const done = sessionStorage.getItem("upload-done");
    if (done) {
      sessionStorage.removeItem("upload-done");
      setTimeout(() => { status.textContent = `${done}; classifying them now.`; }, 300);
    }
    input.addEventListener("change", () => uploadAll(input.files));
    for (const type of ["dragenter", "dragover"]) {
      document.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("over"); });
    }
    document.addEventListener("dragleave", (e) => { if (!e.relatedTarget) zone.classList.remove("over"); });
    document.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      if (e.dataTransfer && e.dataTransfer.files.length) uploadAll(e.dataTransfer.files);
    });
  }

  // Selection: a count, buttons enabled only with something selected.
  // The toolbar shows only while something is selected.
  function setupSelection() {
    const form = () => $("#selection");
    const boxes = () => $$('.grid input[name="ids"]');
    const update = () => {
      const count = $("#selection-count");
      if (!count) return;
      const n = boxes().filter((b) => b.checked).length;
      count.textContent = n ? `${n} selected` : "None selected";
      for (const b of $$("[data-needs-selection]", form() || document)) b.disabled = n === 0;
      for (const b of boxes()) b.closest(".card").classList.toggle("selected", b.checked);
      form().classList.toggle("active", n > 0);
      document.body.classList.toggle("selecting", n > 0);
    };
    document.addEventListener("change", (e) => { if (e.target.name === "ids") update(); });
    document.addEventListener("click", (e) => {
      const button = e.target.closest("[data-select]");
      if (!button) return;
      for (const b of boxes()) b.checked = button.dataset.select === "all";
      update();
    });
    // Search results swapped in by htmx come with a fresh selection toolbar: counted as
    // soon as they are in (settling comes 20 ms later, and the old toolbar showed till then).
    document.addEventListener("htmx:afterSwap", update);
    document.addEventListener("htmx:afterSettle", update);
    update();
  }

  // The viewer: next/previous, zoom, a slideshow and the photo's details with its actions,
  // by mouse, by keyboard and by swiping.
  function setupViewer() {
    const dialog = $("#viewer");
    if (!dialog || !dialog.showModal) return;
    const img = $("#viewer-image"), title = $("#viewer-title"), play = $('[data-viewer="slideshow"]');
    const info = $("#viewer-info"), infoButton = $('[data-viewer="info"]');
    const cards = () => $$(".grid .card");
    let index = 0, zoom = 1, timer = null;
    const folderName = (id) => {
      const option = id ? $(`#info-move-target option[value="${CSS.escape(id)}"]`) : null;
      return option ? option.textContent : "Your photos (top level)";
    };
    const when = (iso) => {
      const date = new Date(iso);
      // EXIF times are the camera's clock, stored as UTC: shown as they were read.
      return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "long", timeStyle: "short", timeZone: "UTC" });
    };
    const megabytes = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);
    const fill = (card) => {
      const d = card.dataset;
      const tags = $("#info-tags");
      tags.textContent = "";
      for (const { label, percent } of scoresOf(card)) {
        const tag = document.createElement("span");
        tag.className = "chip";
        tag.textContent = `${label} ${percent}%`;
        tags.append(tag, " ");
      }
      if (!tags.textContent) tags.textContent = d.status === "done" ? "none" : `${d.status}…`;
      $("#info-taken").textContent = d.taken ? when(d.taken) : `unknown (uploaded ${when(d.uploaded)})`;
      $("#info-camera").textContent = d.camera || "unknown";
      $("#info-lens").textContent = d.lens || "unknown";
      $("#info-size").textContent = `${d.size} px · ${megabytes(Number(d.bytes))}`;
      $("#info-folder").textContent = folderName(d.folderId);
      const download = $("#info-download");
      download.href = d.original;
      download.setAttribute("download", d.name);
      for (const input of $$("[data-viewer-id]", dialog)) input.value = d.id;
      const compared = $("#info-compare-result");
      compared.textContent = "";
      compared.dataset.photo = d.id;
    };
    const show = (i) => {
      const list = cards();
      if (!list.length) return;
      index = (i + list.length) % list.length;
      const card = list[index];
      zoom = 1;
      img.style.transform = "";
      // Small screens take the thumbnail, others the 2 048 px rendition; never the original
      // (but for a photo stored before renditions existed).
      const { thumb, thumbW, display, displayW } = card.dataset;
      if (displayW && Number(displayW) > Number(thumbW)) {
        img.srcset = `${thumb} ${thumbW}w, ${display} ${displayW}w`;
        img.sizes = "100vw";
      } else {
        img.removeAttribute("srcset");
      }
      img.src = display || card.dataset.original;
      img.alt = card.querySelector("img")?.alt || card.dataset.name;
      title.textContent = `${card.dataset.name} (${index + 1} of ${list.length})`;
      fill(card);
    };
    const setZoom = (z) => { zoom = Math.min(8, Math.max(0.25, z)); img.style.transform = `scale(${zoom})`; };
    // The slideshow button shows "play" while stopped and "pause" while it runs.
    const showing = (on) => {
      play.querySelector(".play").hidden = on;
      play.querySelector(".pause").hidden = !on;
      play.setAttribute("aria-label", on ? "Stop slideshow" : "Play slideshow");
    };
    const stopShow = () => { clearInterval(timer); timer = null; showing(false); };
    const toggleShow = () => {
      if (timer) return stopShow();
      timer = setInterval(() => show(index + 1), 3000);
      showing(true);
    };
    // Details show beside the photo on a large screen, over it on a small one (closed at
    // first there); the choice is kept.
    const setInfo = (open) => {
      info.hidden = !open;
      infoButton.setAttribute("aria-expanded", String(open));
      localStorage.setItem("viewer-info", open ? "on" : "off");
    };
    const infoWanted = () => {
      const kept = localStorage.getItem("viewer-info");
      return kept ? kept === "on" : window.matchMedia("(min-width: 900px)").matches;
    };
    const actions = {
      prev: () => show(index - 1), next: () => show(index + 1),
      "zoom-in": () => setZoom(zoom * 1.25), "zoom-out": () => setZoom(zoom / 1.25),
      slideshow: toggleShow, close: () => dialog.close(),
      info: () => setInfo(info.hidden),
    };
    window.galleryViewer = {
      open: (i) => { show(i); setInfo(infoWanted()); if (!dialog.open) dialog.showModal(); },
      actions,
      isOpen: () => dialog.open,
      index: () => index,
      playing: () => timer !== null,
    };
    document.addEventListener("click", (e) => {
      const link = e.target.closest(".grid .card a.open");
      if (link) {
        e.preventDefault();
        window.galleryViewer.open(cards().indexOf(link.closest(".card")));
      }
      const button = e.target.closest("[data-viewer]");
      if (button) actions[button.dataset.viewer]();
    });
    dialog.addEventListener("close", stopShow);
    dialog.addEventListener("keydown", (e) => {
      if (e.target.closest("select, input, textarea") || e.altKey || e.ctrlKey || e.metaKey) return;
      const key = { ArrowLeft: "prev", ArrowRight: "next", "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", " ": "slideshow", i: "info" }[e.key];
      if (key && !(e.key === " " && e.target.closest("button, a"))) { e.preventDefault(); actions[key](); }
      if (e.key === "Delete") { e.preventDefault(); $("#info-delete").click(); }
    });
    // Swipe left or right on a touch screen for the next or previous photo (not while zoomed).
    let start = null;
    const stage = $(".viewer-stage", dialog);
    stage.addEventListener("pointerdown", (e) => { if (e.pointerType !== "mouse") start = { x: e.clientX, y: e.clientY }; });
    stage.addEventListener("pointerup", (e) => {
      if (!start || zoom !== 1) { start = null; return; }
      const dx = e.clientX - start.x, dy = e.clientY - start.y;
      start = null;
      if (Math.abs(dx) > 50 && Math.abs(dx) > 2 * Math.abs(dy)) actions[dx < 0 ? "next" : "prev"]();
    });
    stage.addEventListener("pointercancel", () => { start = null; });
  }

  // The search box: its Clear link shows once there is something to clear.
  document.addEventListener("input", (e) => {
    const clear = $("#search-clear");
    if (e.target.id === "search-input" && clear) clear.hidden = !e.target.value;
  });

  // Cards swapped in by the status poll or by the next page need their width again.
  document.addEventListener("htmx:afterSwap", () => { joinMonths(); justify(); });
  document.addEventListener("htmx:afterSettle", () => { joinMonths(); justify(); announceResults(); });

  // Menus (details.menu): one open at a time; a click elsewhere or Escape closes them.
  function setupMenus() {
    const open = () => $$("details.menu[open]");
    document.addEventListener("toggle", (e) => {
      if (!(e.target instanceof HTMLDetailsElement) || !e.target.matches(".menu") || !e.target.open) return;
      for (const menu of open()) if (menu !== e.target) menu.open = false;
    }, true);
    document.addEventListener("click", (e) => {
      for (const menu of open()) if (!menu.contains(e.target)) menu.open = false;
    });
    document.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      const menu = e.target.closest && e.target.closest("details.menu[open]");
      if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  }

  // Installable: the service worker keeps the app shell and receives shared photos.
  function setupOffline() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/sw.js").catch(() => { /* the page works without it */ });
    // Photos shared while signed out wait in the inbox: point to them.
    const status = $("#upload-status");
    if (status && window.caches) {
      caches.open("share-inbox").then((inbox) => inbox.keys()).then((keys) => {
        if (!keys.length) return;
        const link = document.createElement("a");
        link.href = "/share";
        link.textContent = `${keys.length} shared photo${keys.length === 1 ? " is" : "s are"} waiting: add them`;
        status.replaceChildren(link);
      }).catch(() => {});
    }
    // Signing out empties the inbox: no one else's photos wait in a shared browser.
    const out = $('form[action="/logout"]');
    if (out && window.caches) out.addEventListener("submit", () => { caches.delete("share-inbox"); });
  }

  // The toast after a delete or a move: Undo for ten seconds, then it goes. The address
  // loses its `undo`/`undone`, so that reloading or going back does not show it again.
  function setupToast() {
    const toast = $("#toast");
    if (!toast) return;
    const url = new URL(location.href);
    if (url.searchParams.has("undo") || url.searchParams.has("undone")) {
      url.searchParams.delete("undo");
      url.searchParams.delete("undone");
      history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    }
    setTimeout(() => { toast.hidden = true; }, Number(toast.dataset.hideAfter) || 10000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    setupToast();
    setupMenus();
    setupOffline();
    justify();
    announceResults();
    setupUpload();
    setupSelection();
    setupViewer();
  });
})();

// The viewer's comparison: the photo classified by every classifier, side by side.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("#info-compare");
  if (!button) return;
  const out = document.getElementById("info-compare-result");
  const id = out.dataset.photo;
  if (!id || button.getAttribute("aria-busy") === "true") return;
  // Busy, not disabled: a disabled button would drop the keyboard focus out of the viewer.
  button.setAttribute("aria-busy", "true");
  out.textContent = "Classifying with every classifier…";
  try {
    const res = await fetch(`/photos/${encodeURIComponent(id)}/compare`, { credentials: "same-origin" });
    const text = await res.text();
    if (out.dataset.photo !== id) return;
    if (res.ok) {
      out.innerHTML = text;
    } else {
      let message = `the comparison failed (${res.status})`;
      const found = new DOMParser().parseFromString(text, "text/html").querySelector(".error, main p");
      if (found) message = found.textContent.trim();
      out.textContent = message;
    }
  } catch (err) {
    out.textContent = `the comparison failed: ${err.message}`;
  } finally {
    button.removeAttribute("aria-busy");
  }
});
