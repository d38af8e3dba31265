// The playground: plain JavaScript against the public API, no build step, no CDN.
// It uses only what any client of the hosted API would, plus our extensions (the event
// stream, cancel, listing), so it doubles as a worked example of the API.
"use strict";

const $ = (id) => document.getElementById(id);
const API = {
  submit: "/v3/async/vidu-2.0-img2video",
  result: "/v3/async/task-result",
  events: "/v3/async/task-events",
  cancel: "/v3/async/task-cancel",
  tasks: "/v3/async/tasks",
};
const RESOLUTIONS = { 4: ["360p", "720p", "1080p"], 8: ["720p"] };
const DEFAULT_RESOLUTION = { 4: "360p", 8: "720p" };
// Fields whose errors have a place next to them; the server's message names the field first.
const FIELD_ERRORS = [
  [/^images/, "images"], [/^prompt/, "prompt"], [/^duration/, "duration"],
  [/^resolution/, "resolution"], [/^movement_amplitude/, "movement_amplitude"],
  [/^seed/, "seed"], [/^extra/, "extra"],
];

let imageDataUri = null;   // the picked or dropped file, as a data URI
let following = null;      // AbortController of the event stream being read
let currentTask = null;

// --- the key -----------------------------------------------------------------------------

function key() { return $("key").value.trim(); }
function headers(json) {
  const h = { Authorization: "Bearer " + key() };
  if (json) h["Content-Type"] = "application/json";
  return h;
}

// --- errors next to their fields --------------------------------------------------------

function clearErrors() {
  for (const el of document.querySelectorAll(".error[id$='-error']")) { el.hidden = true; el.textContent = ""; }
}
function showError(field, message) {
  const el = $(field + "-error") || $("form-error");
  el.textContent = message;
  el.hidden = false;
  const input = { images: imageDataUri ? "drop" : "image-url", extra: "webhook" }[field] || field;
  if ($(input)) $(input).setAttribute("aria-invalid", "true");
  // Where the eye is: the message is brought into view and its field takes the focus.
  el.scrollIntoView({ block: "center", behavior: "instant" });
  if ($(input) && typeof $(input).focus === "function") $(input).focus({ preventScroll: true });
}
function placeError(status, body) {
  const message = (body && body.message) || `The server answered HTTP ${status}.`;
  if (status === 401) return showError("key", message);
  for (const [pattern, field] of FIELD_ERRORS) {
    if (pattern.test(message)) return showError(field, message);
  }
  showError("form", message);
}

// --- the image ---------------------------------------------------------------------------

function readFile(file) {
  const reader = new FileReader();
  reader.onload = () => {
    imageDataUri = reader.result;
    $("preview").src = imageDataUri;
    $("preview").alt = "Chosen photo: " + file.name;
    $("preview").hidden = false;
    $("drop-text").textContent = file.name + " (drop or press Enter to change)";
    $("image-url").value = "";
  };
  reader.readAsDataURL(file);
}

function setUpImage() {
  const drop = $("drop");
  drop.addEventListener("click", () => $("file").click());
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); }
  });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) readFile(e.dataTransfer.files[0]);
  });
  $("file").addEventListener("change", () => { if ($("file").files.length) readFile($("file").files[0]); });
  $("image-url").addEventListener("input", () => {
    if ($("image-url").value.trim()) { imageDataUri = null; $("preview").hidden = true; }
  });
}

// --- the form ----------------------------------------------------------------------------

// The user's own pick survives a duration change whenever the new duration allows it;
// otherwise the duration's default shows (8 s forces 720p, and going back to 4 s restores
// what the user had, or 360p).
let chosenResolution = null;

function fillResolutions() {
  const duration = Number($("duration").value);
  const select = $("resolution");
  select.innerHTML = "";
  for (const value of RESOLUTIONS[duration]) select.add(new Option(value, value));
  select.value = RESOLUTIONS[duration].includes(chosenResolution)
    ? chosenResolution : DEFAULT_RESOLUTION[duration];
}

function requestBody() {
  const image = imageDataUri || $("image-url").value.trim();
  const body = {
    images: image ? [image] : [],
    prompt: $("prompt").value,
    duration: Number($("duration").value),
    resolution: $("resolution").value,
    movement_amplitude: $("movement_amplitude").value,
    bgm: $("bgm").checked,
  };
  const seed = $("seed").value.trim();
  if (seed !== "") body.seed = Number(seed);
  const webhook = $("webhook").value.trim();
  if (webhook) body.extra = { webhook: { url: webhook } };
  return body;
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  for (const el of document.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  if (!key()) return showError("key", "Enter an API key first.");
  const body = requestBody();
  if (!body.images.length) return showError("images", "Choose a photo or paste an image URL.");
  const button = $("submit");
  button.disabled = true;
  button.textContent = "Uploading…";
  try {
    const response = await fetch(API.submit, { method: "POST", headers: headers(true), body: JSON.stringify(body) });
    const answer = await response.json().catch(() => null);
    if (!response.ok) return placeError(response.status, answer);
    startFollowing(answer.task_id);
    loadRecent();
    $("result").focus();
  } catch (error) {
    showError("form", "Could not reach the server: " + error.message);
  } finally {
    button.disabled = false;
    button.textContent = "Make the video";
  }
}

// --- following a task --------------------------------------------------------------------

function statusWord(status) { return status.replace("TASK_STATUS_", ""); }

function showTask(result) {
  updateRecent(result);
  const task = result.task;
  currentTask = task.task_id;
  $("result-empty").hidden = true;
  $("task").hidden = false;
  $("task-id").textContent = task.task_id;
  const word = statusWord(task.status);
  const extra = result.extra || {};
  let line = word.charAt(0) + word.slice(1).toLowerCase();
  if (word === "QUEUED" && extra.queue_position !== undefined) {
    line += ` (${extra.queue_position} ahead)`;
  }
  if (word === "PROCESSING" && extra.stage) line += `: ${extra.stage}`;
  if (word !== "SUCCEED" && word !== "FAILED") {
    line += ` · ${task.progress_percent}%` + (task.eta ? ` · about ${task.eta} s left` : "");
  }
  $("status").textContent = line;
  $("status").className = word === "SUCCEED" ? "done" : "";
  $("bar").setAttribute("aria-valuenow", String(task.progress_percent));
  $("bar-fill").style.width = task.progress_percent + "%";
  $("reason").hidden = !task.reason;
  $("reason").textContent = task.reason;
  $("cancel").hidden = word === "SUCCEED" || word === "FAILED";
  const video = (result.videos || [])[0];
  if (video) {
    const player = $("video");
    if (player.dataset.task !== task.task_id) {
      player.dataset.task = task.task_id;
      player.src = video.video_url;
      player.play().catch(() => {});  // muted, so browsers allow it
    }
    $("download").href = video.video_url;
    $("download").setAttribute("download", task.task_id + ".mp4");
    $("player").hidden = false;
  } else {
    $("player").hidden = true;
  }
  showPlan(extra.debug_info && extra.debug_info.request_info, extra.seed);
}

function describeLabels(labels) {  // "pan_?" -> "pan (either way)", "camera_move" -> "camera move"
  return labels.map((l) => l.replace(/_\?$/, " (either way)").replace(/_/g, " ")).join(", ");
}

function describeBeats(plan) {
  const seconds = plan.frame_count / plan.fps;  // beats are timed as shares of the clip
  return (plan.beats || []).map((b) => `${b.move.replace(/_/g, " ")} (${(b.start * seconds).toFixed(1)}–${(b.end * seconds).toFixed(1)} s)`).join(", then ");
}

function showPlan(text, seed) {
  if (!text) return;
  let info;
  try { info = JSON.parse(text); } catch { return; }
  const plan = info.plan;
  const rows = [];
  const request = info.request || {};
  rows.push(["Seed", seed]);
  rows.push(["Size", plan ? `${plan.width}×${plan.height}, ${plan.frame_count} frames at ${plan.fps} fps` : `${request.resolution}, ${request.duration} s`]);
  if (plan && plan.beats) {
    rows.push(["Camera", describeBeats(plan) || "static"]);
    if (plan.chosen_by && plan.chosen_by !== "prompt") rows.push(["Chosen by", plan.chosen_by]);
    if (plan.fallbacks && plan.fallbacks.length) rows.push(["Not as asked", plan.fallbacks.join("; ")]);
    rows.push(["Movement", `${plan.amplitude} (target ${plan.target_speed.toFixed(2)} % of the diagonal per second)`]);
    if (plan.effects && plan.effects.length) rows.push(["Effects", plan.effects.join(", ")]);
    if (plan.motions && plan.motions.length) rows.push(["Local motion", plan.motions.join(", ")]);
    if (plan.not_rendered && plan.not_rendered.length) rows.push(["Asked for, not rendered", plan.not_rendered.join("; ")]);
    if (plan.negated && plan.negated.length) rows.push(["Ruled out", describeLabels(plan.negated)]);
    if (plan.prompt_words && plan.prompt_words.length) rows.push(["Words understood", plan.prompt_words.join(", ")]);
  } else if (plan && plan.family) {  // the diffusers engine: what the model was asked
    rows.push(["Model", `${plan.model} (${plan.family}), ${plan.native_width}×${plan.native_height}, ${plan.native_frames} frames at ${plan.native_fps} fps, ${plan.steps} steps, retimed to ${plan.fps} fps`]);
    rows.push(["Camera", (plan.camera || []).map((m) => m.replace(/_/g, " ")).join(", then ") || "the model's choice"]);
    rows.push(["Movement", plan.amplitude]);
    if (plan.actions && plan.actions.length) rows.push(["Actions given to the model", plan.actions.join(", ")]);
    if (plan.negated && plan.negated.length) rows.push(["Ruled out", describeLabels(plan.negated)]);
    if (plan.prompt) rows.push(["Prompt given to the model", plan.prompt]);
    for (const [knob, value] of Object.entries(plan.conditioning || {})) rows.push([knob.replace(/_/g, " "), String(value)]);
  } else if (!plan) {
    rows.push(["Plan", "made when a worker starts the render"]);
  }
  if (plan && plan.music) rows.push(["Music", `${plan.music.mood}, ${plan.music.key}, ${Math.round(plan.music.tempo_bpm)} bpm`]);
  const list = $("plan-list");
  list.innerHTML = "";
  for (const [name, value] of rows) {
    const dt = document.createElement("dt"); dt.textContent = name;
    const dd = document.createElement("dd"); dd.textContent = value;
    list.append(dt, dd);
  }
  $("plan-json").textContent = JSON.stringify(info, null, 2);
  $("plan").hidden = false;
}

// EventSource cannot send an Authorization header, so the stream is read with fetch.
async function startFollowing(taskId) {
  if (following) following.abort();
  const controller = new AbortController();
  following = controller;
  $("video").removeAttribute("src");
  delete $("video").dataset.task;
  try {
    const response = await fetch(`${API.events}?task_id=${encodeURIComponent(taskId)}`,
      { headers: headers(false), signal: controller.signal });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      return placeError(response.status, body);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
        if (data) showTask(JSON.parse(data));
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") showError("form", "The live updates stopped: " + error.message);
  } finally {
    if (following === controller) following = null;
  }
  loadRecent();
}

async function cancelTask() {
  if (!currentTask) return;
  const response = await fetch(API.cancel, { method: "POST", headers: headers(true), body: JSON.stringify({ task_id: currentTask }) });
  const body = await response.json().catch(() => null);
  if (!response.ok) return showError("form", (body && body.message) || `HTTP ${response.status}`);
  showTask(body);
}

// --- recent tasks ------------------------------------------------------------------------

function badgeText(result) {  // what the list says of a task: its status, and how far along
  const word = statusWord(result.task.status);
  return word === "PROCESSING" ? `${word} ${result.task.progress_percent}%` : word;
}

function updateRecent(result) {  // the list follows the task shown: never QUEUED beside 68 %
  const item = document.querySelector(`#recent li[data-task-id="${result.task.task_id}"]`);
  if (!item) return;
  const badge = item.querySelector(".badge");
  badge.className = "badge " + statusWord(result.task.status);
  badge.textContent = badgeText(result);
}

async function openTask(taskId) {
  const response = await fetch(`${API.result}?task_id=${encodeURIComponent(taskId)}`, { headers: headers(false) });
  const body = await response.json().catch(() => null);
  if (!response.ok) return placeError(response.status, body);
  showTask(body);
  if (!["TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"].includes(body.task.status)) startFollowing(taskId);
  $("result").focus();
}

async function loadRecent() {
  const list = $("recent");
  if (!key()) { list.innerHTML = ""; $("recent-empty").hidden = false; return; }
  const response = await fetch(`${API.tasks}?limit=12`, { headers: headers(false) });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    $("recent-empty").textContent = (body && body.message) || `HTTP ${response.status}`;
    $("recent-empty").hidden = false;
    return;
  }
  list.innerHTML = "";
  $("recent-empty").hidden = body.tasks.length > 0;
  $("recent-empty").textContent = "No tasks yet for this key.";
  for (const result of body.tasks) {
    const item = document.createElement("li");
    item.dataset.taskId = result.task.task_id;
    const button = document.createElement("button");
    button.type = "button";
    const video = (result.videos || [])[0];
    let thumb;
    if (video && result.extra.thumbnail_url) {  // the first frame, a small JPEG
      thumb = document.createElement("img");
      thumb.src = result.extra.thumbnail_url;
      thumb.alt = "";
      thumb.loading = "lazy";
      thumb.addEventListener("error", () => {  // a task older than thumbnails: its status
        const word = document.createElement("div");
        word.className = "thumb";
        word.textContent = statusWord(result.task.status).toLowerCase();
        thumb.replaceWith(word);
      });
    } else {
      thumb = document.createElement("div");
      thumb.textContent = statusWord(result.task.status).toLowerCase();
    }
    thumb.className = "thumb";
    let prompt = "";
    try { prompt = JSON.parse(result.extra.debug_info.request_info).request.prompt; } catch { /* keep empty */ }
    const badge = document.createElement("span");
    badge.className = "badge " + statusWord(result.task.status);
    badge.textContent = badgeText(result);
    const snippet = document.createElement("span");
    snippet.className = "snippet";
    snippet.textContent = prompt || "(no prompt)";
    button.setAttribute("aria-label", `Open task ${result.task.task_id}: ${statusWord(result.task.status).toLowerCase()}, ${prompt || "no prompt"}`);
    button.append(thumb, badge, snippet);
    button.addEventListener("click", () => openTask(result.task.task_id));
    item.append(button);
    list.append(item);
  }
}

// --- start -------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("key").value = localStorage.getItem("stillmotion.key") || "";
  $("key").addEventListener("change", () => { localStorage.setItem("stillmotion.key", key()); loadRecent(); });
  $("key-toggle").addEventListener("click", () => {
    const shown = $("key").type === "text";
    $("key").type = shown ? "password" : "text";
    $("key-toggle").textContent = shown ? "Show" : "Hide";
    $("key-toggle").setAttribute("aria-pressed", String(!shown));
  });
  $("prompt").addEventListener("input", () => { $("prompt-count").textContent = String($("prompt").value.length); });
  $("duration").addEventListener("change", fillResolutions);
  $("resolution").addEventListener("change", () => { chosenResolution = $("resolution").value; });
  fillResolutions();
  setUpImage();
  $("form").addEventListener("submit", submit);
  $("cancel").addEventListener("click", cancelTask);
  $("refresh").addEventListener("click", loadRecent);
  loadRecent();
});
