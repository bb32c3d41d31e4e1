// Gallery pages: justified grid, uploads with progress, selection and the photo viewer.
// Everything here upgrades pages that also work without it.
(function () {
  "use strict";
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const csrf = () => ($('meta[name="csrf-token"]') || {}).content || "";

  // Justified rows: each card's width follows its thumbnail's aspect ratio.
  function justify() {
    const grid = $("#grid");
    if (!grid) return;
    const row = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--row")) || 200;
    for (const card of $$(".card", grid)) {
      const ratio = (Number(card.dataset.w) || 1) / (Number(card.dataset.h) || 1);
      card.style.flexGrow = String(ratio);
      card.style.width = `${Math.round(ratio * row)}px`;
    }
    grid.classList.add("justified");
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
      if (failed < files.length) window.location.reload();
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
  function setupSelection() {
    const form = () => $("#selection");
    const boxes = () => $$('input[name="ids"]');
    const update = () => {
      const count = $("#selection-count");
      if (!count) return;
      const n = boxes().filter((b) => b.checked).length;
      count.textContent = n ? `${n} selected` : "None selected";
      for (const b of $$("[data-needs-selection]", form() || document)) b.disabled = n === 0;
      for (const b of boxes()) b.closest(".card").classList.toggle("selected", b.checked);
    };
    document.addEventListener("change", (e) => { if (e.target.name === "ids") update(); });
    document.addEventListener("click", (e) => {
      const button = e.target.closest("[data-select]");
      if (!button) return;
      for (const b of boxes()) b.checked = button.dataset.select === "all";
      update();
    });
    // Search results swapped in by htmx come with a fresh selection toolbar.
    document.addEventListener("htmx:afterSettle", update);
    update();
  }

  // The viewer: next/previous, zoom and a slideshow, by mouse and by keyboard.
  function setupViewer() {
    const dialog = $("#viewer");
    if (!dialog || !dialog.showModal) return;
    const img = $("#viewer-image"), title = $("#viewer-title"), play = $('[data-viewer="slideshow"]');
    const cards = () => $$("#grid .card");
    let index = 0, zoom = 1, timer = null;
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
    const actions = {
      prev: () => show(index - 1), next: () => show(index + 1),
      "zoom-in": () => setZoom(zoom * 1.25), "zoom-out": () => setZoom(zoom / 1.25),
      slideshow: toggleShow, close: () => dialog.close(),
    };
    window.galleryViewer = {
      open: (i) => { show(i); if (!dialog.open) dialog.showModal(); },
      actions,
      isOpen: () => dialog.open,
      index: () => index,
      playing: () => timer !== null,
    };
    document.addEventListener("click", (e) => {
      const link = e.target.closest("#grid .card a.open");
      if (link) {
        e.preventDefault();
        window.galleryViewer.open(cards().indexOf(link.closest(".card")));
      }
      const button = e.target.closest("[data-viewer]");
      if (button) actions[button.dataset.viewer]();
    });
    dialog.addEventListener("close", stopShow);
    dialog.addEventListener("keydown", (e) => {
      const key = { ArrowLeft: "prev", ArrowRight: "next", "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", " ": "slideshow" }[e.key];
      if (key) { e.preventDefault(); actions[key](); }
    });
  }

  // The search box: its Clear link shows once there is something to clear.
  document.addEventListener("input", (e) => {
    const clear = $("#search-clear");
    if (e.target.id === "search-input" && clear) clear.hidden = !e.target.value;
  });

  // Cards swapped in by the status poll need their width again.
  document.addEventListener("htmx:afterSettle", justify);

  document.addEventListener("DOMContentLoaded", () => {
    justify();
    setupUpload();
    setupSelection();
    setupViewer();
  });
})();
