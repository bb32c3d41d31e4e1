// Hooks of the load-test scenarios (task1.yml, task2.yml). Artillery runs them in its
// workers; what they record for the runner goes to files the runner names in the
// environment.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");

// Every response and every visit, timed, for the report's per-phase figures (Artillery's
// own JSON keeps only 10-second summaries, which cannot be merged into exact percentiles).
// A visit's records are written in one go when it ends (or, failed, with the next visit
// of the same worker), so the load generator spends its time on requests, not on writes.
let unwritten = [];

function flush() {
  if (unwritten.length) {
    fs.appendFileSync(process.env.LOADTEST_RECORDS, unwritten.map((r) => JSON.stringify(r)).join("\n") + "\n");
    unwritten = [];
  }
}

process.on("exit", flush);

function timeResponse(req, res, context, events, next) {
  unwritten.push({ t: Date.now(), kind: "response", status: res.statusCode, ms: res.timings.phases.firstByte });
  return next();
}

function visitStarts(context, events, done) {
  context.vars.visitStarted = Date.now();
  unwritten.push({ t: context.vars.visitStarted, kind: "visit" });
  if (unwritten.length > 500) flush();
  return done();
}

function visitEnds(context, events, done) {
  unwritten.push({ t: context.vars.visitStarted, kind: "completed", ms: Date.now() - context.vars.visitStarted });
  flush();
  return done();
}

// A failed request fails its virtual user: the run then reports it as failed.
function checkStatus(req, res, context, events, next) {
  if (res.statusCode >= 400) {
    return next(new Error(`${req.method || "GET"} ${req.url} answered ${res.statusCode}`));
  }
  return next();
}

// After a gallery page: its thumbnails (fetched next, as the browser would) and one of
// its folders (opened next), read from the HTML the way the page's own script sees it.
function readPage(req, res, context, events, next) {
  if (res.statusCode !== 200) {
    return next(new Error(`${req.url} answered ${res.statusCode}`));
  }
  const html = String(res.body || "");
  context.vars.thumbs = [...html.matchAll(/src="(\/images\/[0-9a-f]+\/thumbnail)"/g)].map((m) => m[1]);
  const folders = [...html.matchAll(/<li><a href="\/gallery\/([0-9a-f]{32})">/g)].map((m) => m[1]);
  context.vars.folder = folders.length ? folders[Math.floor(Math.random() * folders.length)] : "";
  return next();
}

let photos = null;
function photoSet() {
  if (photos) return photos;
  const dir = process.env.LOADTEST_PHOTOS;
  photos = fs.readdirSync(dir).filter((f) => f.endsWith(".jpg")).sort().map((f) => ({
    name: f,
    bytes: fs.readFileSync(path.join(dir, f)),
  }));
  if (!photos.length) throw new Error(`no photos in ${dir}`);
  return photos;
}

// How many photos this visitor uploads: 1 to 5.
function pickUploads(context, events, done) {
  context.vars.uploads = 1 + Math.floor(Math.random() * 5);
  return done();
}

// One photo, chosen at random, as the multipart body of the upload.
function attachPhoto(requestParams, context, events, next) {
  const set = photoSet();
  const photo = set[Math.floor(Math.random() * set.length)];
  const boundary = `----gallery${crypto.randomBytes(12).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${photo.name}"\r\n` +
      "Content-Type: image/jpeg\r\n\r\n",
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  requestParams.body = Buffer.concat([head, photo.bytes, tail]);
  requestParams.headers = {
    ...(requestParams.headers || {}),
    "content-type": `multipart/form-data; boundary=${boundary}`,
  };
  return next();
}

// Every upload the server acknowledged (201), for the runner to find again afterwards.
function recordUpload(req, res, context, events, next) {
  if (res.statusCode !== 201) {
    return next(new Error(`upload answered ${res.statusCode}: ${String(res.body).slice(0, 200)}`));
  }
  const stored = JSON.parse(res.body);
  const lines = stored.map((image) => JSON.stringify({ email: context.vars.email, id: image.id })).join("\n");
  fs.appendFileSync(process.env.LOADTEST_ACKNOWLEDGED, lines + "\n");
  return next();
}

module.exports = {
  timeResponse,
  visitStarts,
  visitEnds,
  checkStatus,
  readPage,
  pickUploads,
  attachPhoto,
  recordUpload,
};
