// Voice commands: the browser transcribes (Web Speech API), the server understands
// (POST /voice) and answers with a sentence and an action, which this script performs.
// Where speech recognition is missing, the command box takes typed commands instead.
(function () {
  "use strict";
  const $ = (sel) => document.querySelector(sel);
  const csrf = () => ($('meta[name="csrf-token"]') || {}).content || "";
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  let recognition = null;
  let listening = false;

  const speakEnabled = () => localStorage.getItem("voice-speak") !== "off";
  // WCAG 2.1.4: the single-key shortcut (V) can be switched off; Alt+V always works.
  const keysEnabled = () => localStorage.getItem("shortcut-keys") !== "off";
  function show(text, kind) {
    const out = $("#voice-reply");
    if (!out) return;
    out.textContent = text;
    out.dataset.kind = kind || "";
  }
  function speak(text) {
    if (!speakEnabled() || !window.speechSynthesis || !text) return;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }

  // What the page shows now: the server acts in this context.
  function context() {
    const main = $("#main");
    const cards = Array.from(document.querySelectorAll(".grid .card"));
    const viewer = window.galleryViewer;
    const open = viewer && viewer.isOpen() ? cards[viewer.index()] : null;
    return {
      folder_id: (main && main.dataset.folder) || null,
      query: (main && main.dataset.query) || null,
      selected: Array.from(document.querySelectorAll('.grid input[name="ids"]:checked')).map((b) => b.value),
      open_image: open ? open.dataset.id : null,
    };
  }

  function nth(index) {
    const cards = Array.from(document.querySelectorAll(".grid .card"));
    const i = index < 0 ? cards.length + index : index - 1;
    return i >= 0 && i < cards.length ? { card: cards[i], i } : null;
  }

  // The page operations the server's answers name (web/voice.rs, PageOp).
  function pageAction(op, index) {
    const viewer = window.galleryViewer;
    const viewing = viewer && viewer.isOpen();
    const click = (sel) => { const el = $(sel); if (el) el.click(); };
    switch (op) {
      case "open": {
        const found = nth(index);
        if (found && viewer) viewer.open(found.i);
        else show(`There is no photo number ${index} here.`, "error");
        break;
      }
      case "select": {
        const found = nth(index);
        if (found) {
          const box = found.card.querySelector('input[name="ids"]');
          box.checked = !box.checked;
          box.dispatchEvent(new Event("change", { bubbles: true }));
        }
        break;
      }
      case "next": if (viewing) viewer.actions.next(); break;
      case "previous": if (viewing) viewer.actions.prev(); break;
      case "close": if (viewing) viewer.actions.close(); break;
      case "zoom_in": if (viewing) viewer.actions["zoom-in"](); break;
      case "zoom_out": if (viewing) viewer.actions["zoom-out"](); break;
      case "play":
        if (viewer && !viewer.isOpen()) viewer.open(0);
        if (viewer && !viewer.playing()) viewer.actions.slideshow();
        break;
      case "pause": if (viewer && viewer.playing()) viewer.actions.slideshow(); break;
      case "select_all": click('[data-select="all"]'); break;
      case "select_none": click('[data-select="none"]'); break;
      case "choose_files": click('label[for="file-input"]'); break;
      case "show_help": { const help = $("#voice-help"); if (help) help.open = true; break; }
      case "sign_out": { const form = $('form[action="/logout"]'); if (form) form.submit(); break; }
      case "stop_listening": stop(); break;
      case "back": history.back(); break;
      case "dismiss": { const d = $("#voice-confirm"); if (d && d.open) d.close(); break; }
    }
  }

  function confirmDialog(question) {
    const dialog = $("#voice-confirm");
    if (!dialog) return;
    $("#voice-confirm-question").textContent = question;
    if (!dialog.open) dialog.showModal();
  }

  async function send(body) {
    let res;
    try {
      res = await fetch("/voice", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": csrf() },
        body: JSON.stringify({ ...body, ...context() }),
      });
    } catch (_) {
      return show("The gallery could not be reached.", "error");
    }
    const answer = await res.json().catch(() => ({ error: `failed (${res.status})` }));
    if (!res.ok) return show(answer.error || "That did not work.", "error");
    document.dispatchEvent(new CustomEvent("voice:answer", { detail: answer }));
    show(answer.say, answer.intent === "none" ? "hint" : "");
    speak(answer.say);
    const action = answer.action || {};
    const dialog = $("#voice-confirm");
    if (action.kind !== "confirm" && dialog && dialog.open) dialog.close();
    if (action.kind === "navigate") {
      if (listening) sessionStorage.setItem("voice-listening", "1");
      window.location.assign(action.url);
    } else if (action.kind === "page") pageAction(action.op, action.index);
    else if (action.kind === "confirm") confirmDialog(action.question);
  }

  function start() {
    if (!Recognition) return show("This browser has no speech recognition: type your command in the box instead.", "error");
    recognition = new Recognition();
    recognition.continuous = true;
    recognition.interimResults = true;
    recognition.lang = document.documentElement.lang || "en-US";
    recognition.onresult = (event) => {
      for (let i = event.resultIndex; i < event.results.length; i++) {
        const result = event.results[i];
        const text = result[0].transcript.trim();
        const transcript = $("#voice-transcript");
        if (transcript) { transcript.textContent = text; transcript.dataset.final = result.isFinal ? "1" : ""; }
        if (result.isFinal && text) send({ text });
      }
    };
    recognition.onend = () => { if (listening) { try { recognition.start(); } catch (_) { /* already running */ } } };
    recognition.onerror = (e) => { if (e.error === "not-allowed") { stop(); show("The microphone is not allowed.", "error"); } };
    listening = true;
    recognition.start();
    sessionStorage.setItem("voice-listening", "1");
    const button = $("#voice-button");
    button.setAttribute("aria-pressed", "true");
    button.classList.add("on");
    show("Listening… say a command, or “help”.");
  }

  function stop() {
    listening = false;
    sessionStorage.removeItem("voice-listening");
    if (recognition) recognition.stop();
    const button = $("#voice-button");
    if (button) { button.setAttribute("aria-pressed", "false"); button.classList.remove("on"); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = $("#voice-button");
    if (!button) return;
    if (!Recognition) {
      button.title = "This browser has no speech recognition: type commands in the box";
      button.classList.add("unsupported");
    }
    button.addEventListener("click", () => (listening ? stop() : start()));
    document.addEventListener("keydown", (e) => {
      const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
      if (e.key === "v" && e.altKey && !e.ctrlKey) { e.preventDefault(); button.click(); }
      else if (e.key === "v" && keysEnabled() && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); button.click(); }
    });
    const form = $("#voice-form");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const input = $("#voice-text");
      if (input.value.trim()) send({ text: input.value.trim() });
      input.value = "";
    });
    const speakBox = $("#voice-speak");
    speakBox.checked = speakEnabled();
    speakBox.addEventListener("change", () => localStorage.setItem("voice-speak", speakBox.checked ? "on" : "off"));
    const keysBox = $("#voice-keys");
    keysBox.checked = keysEnabled();
    keysBox.addEventListener("change", () => localStorage.setItem("shortcut-keys", keysBox.checked ? "on" : "off"));
    $("#voice-yes").addEventListener("click", () => send({ answer: "confirm" }));
    $("#voice-no").addEventListener("click", () => send({ answer: "cancel" }));
    if (Recognition && sessionStorage.getItem("voice-listening")) start();
  });
})();
