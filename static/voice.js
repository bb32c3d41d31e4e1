// Voice commands: the browser (Web Speech API) or this server (POST /voice/transcribe, a
// recording of each command) transcribes, the server understands (POST /voice) and
// answers with a sentence and an action, which this script performs. The command box
// always takes typed commands too.
(function () {
  "use strict";
  const $ = (sel) => document.querySelector(sel);
  const csrf = () => ($('meta[name="csrf-token"]') || {}).content || "";
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  const canRecord = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.AudioWorkletNode);
  let recognition = null;
  let recorder = null;
  let listening = false;

  // "browser" or "server": the setting, else the browser's own where it has one.
  function engine() {
    const chosen = localStorage.getItem("voice-engine");
    if (chosen === "server" || (chosen === "browser" && Recognition)) return chosen;
    return Recognition ? "browser" : "server";
  }

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

  function listeningOn() {
    listening = true;
    sessionStorage.setItem("voice-listening", "1");
    const button = $("#voice-button");
    button.setAttribute("aria-pressed", "true");
    button.classList.add("on");
    show("Listening… say a command, or “help”.");
  }

  function start() {
    if (engine() === "server") return startRecording();
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
    recognition.start();
    listeningOn();
  }

  // Recognition on the server: the microphone through an AudioWorklet; a command starts
  // when the level rises well above the room's and ends after 600 ms of quiet (or 12 s);
  // it goes to the server as a WAV, with 300 ms from before it started.
  const QUIET_MS = 600, MAX_MS = 12000, BEFORE_MS = 300;
  async function startRecording() {
    if (!canRecord) return show("This browser cannot record: type your command in the box instead.", "error");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
    } catch (e) {
      stop();
      return show(e && e.name === "NotAllowedError" ? "The microphone is not allowed." : "No microphone could be opened.", "error");
    }
    const ctx = new AudioContext();
    await ctx.resume().catch(() => {});
    await ctx.audioWorklet.addModule("/static/voice-capture.js");
    const source = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, "capture", { numberOfInputs: 1, numberOfOutputs: 0 });
    source.connect(node);
    const meter = $("#voice-level");
    if (meter) meter.hidden = false;
    const rate = ctx.sampleRate;
    const state = { floor: 0.003, speaking: false, loud: 0, quietMs: 0, spokenMs: 0, before: [], chunks: [], busy: false };
    node.port.onmessage = (e) => onBlock(e.data, rate, state, meter);
    recorder = { stream, ctx, node };
    listeningOn();
  }

  function onBlock(block, rate, st, meter) {
    let sum = 0;
    for (let i = 0; i < block.length; i++) sum += block[i] * block[i];
    const rms = Math.sqrt(sum / block.length);
    const ms = (block.length / rate) * 1000;
    if (meter) meter.value = Math.max(0, Math.min(1, (20 * Math.log10(rms + 1e-9) + 60) / 60));
    if (st.busy) return;
    const threshold = Math.max(st.floor * 3, 0.01);
    if (!st.speaking) {
      st.floor = rms < st.floor * 2 ? st.floor * 0.95 + rms * 0.05 : st.floor;
      st.before.push(block);
      while (st.before.length * ms > BEFORE_MS) st.before.shift();
      st.loud = rms > threshold ? st.loud + 1 : 0;
      if (st.loud >= 2) {
        st.speaking = true;
        st.chunks = st.before.slice();
        st.before = [];
        st.quietMs = 0;
        st.spokenMs = st.chunks.length * ms;
      }
      return;
    }
    st.chunks.push(block);
    st.spokenMs += ms;
    st.quietMs = rms > threshold ? 0 : st.quietMs + ms;
    if (st.quietMs >= QUIET_MS || st.spokenMs >= MAX_MS) {
      const chunks = st.chunks;
      st.speaking = false;
      st.chunks = [];
      st.loud = 0;
      st.busy = true;
      transcribe(wav(chunks, rate)).finally(() => { st.busy = false; });
    }
  }

  // 16-bit mono PCM in a WAV file.
  function wav(chunks, rate) {
    const n = chunks.reduce((a, c) => a + c.length, 0);
    const view = new DataView(new ArrayBuffer(44 + n * 2));
    const text = (at, s) => { for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i)); };
    text(0, "RIFF"); view.setUint32(4, 36 + n * 2, true); text(8, "WAVE");
    text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
    text(36, "data"); view.setUint32(40, n * 2, true);
    let at = 44;
    for (const c of chunks) for (let i = 0; i < c.length; i++, at += 2) view.setInt16(at, Math.max(-1, Math.min(1, c[i])) * 32767, true);
    return new Blob([view.buffer], { type: "audio/wav" });
  }

  async function transcribe(recording) {
    const transcript = $("#voice-transcript");
    if (transcript) { transcript.textContent = "…"; transcript.dataset.final = ""; }
    let res;
    try {
      res = await fetch("/voice/transcribe", { method: "POST", headers: { "content-type": "audio/wav", "x-csrf-token": csrf() }, body: recording });
    } catch (_) {
      return show("The gallery could not be reached.", "error");
    }
    const answer = await res.json().catch(() => ({ error: `failed (${res.status})` }));
    if (transcript) transcript.textContent = "";
    if (!res.ok) return show(answer.error || "That did not work.", "error");
    if (!answer.transcript) return show("I did not hear a command. Try again, a little closer to the microphone.", "hint");
    if (transcript) { transcript.textContent = answer.transcript; transcript.dataset.final = "1"; }
    if (listening) await send({ text: answer.transcript });
  }

  function stopRecording() {
    if (!recorder) return;
    recorder.node.port.onmessage = null;
    recorder.stream.getTracks().forEach((t) => t.stop());
    recorder.ctx.close();
    recorder = null;
    const meter = $("#voice-level");
    if (meter) meter.hidden = true;
  }

  function stop() {
    listening = false;
    sessionStorage.removeItem("voice-listening");
    if (recognition) recognition.stop();
    stopRecording();
    const button = $("#voice-button");
    if (button) { button.setAttribute("aria-pressed", "false"); button.classList.remove("on"); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = $("#voice-button");
    if (!button) return;
    if (!Recognition && !canRecord) {
      button.title = "This browser cannot listen: type commands in the box";
      button.classList.add("unsupported");
    }
    const engineBox = $("#voice-engine");
    if (engineBox) {
      engineBox.value = engine();
      engineBox.querySelector('option[value="browser"]').disabled = !Recognition;
      engineBox.addEventListener("change", () => {
        localStorage.setItem("voice-engine", engineBox.value);
        if (listening) { stop(); start(); }
      });
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
    if ((Recognition || canRecord) && sessionStorage.getItem("voice-listening")) start();
  });
})();
