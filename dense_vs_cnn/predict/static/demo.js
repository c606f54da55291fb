// Draw with a mouse, pen or finger (pointer events). On each release the canvas is posted
// as a PNG to api/predict, which prepares it exactly as digits-predict does and answers
// with the 28x28 image the models saw and each model's top 3. An uploaded file takes the
// same way. Answers to an older drawing than the latest one are dropped. Each answer says
// which model files answered (sha256, parameters): the server reads a retrained model again.
"use strict";

const canvas = document.getElementById("canvas");
const pen = canvas.getContext("2d");
const seen = document.getElementById("seen").getContext("2d");
const message = document.getElementById("message");
const answers = document.getElementById("answers");
const INK = 18;  // stroke width in canvas pixels: about what a finger draws at this size
let drawing = false;
let last = null;
let latest = 0;  // number of the latest request; older answers are ignored
let maxUpload = Infinity;  // bytes the server takes (api/info): a larger file is refused here, unsent

function show(text, isError = false) {
  message.textContent = text;
  message.className = isError ? "error" : "";
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function clearAll() {
  latest += 1;
  pen.fillStyle = "white";  // paper: digits-predict's preparation finds the dark ink on it
  pen.fillRect(0, 0, canvas.width, canvas.height);
  seen.clearRect(0, 0, 28, 28);
  answers.replaceChildren();
  show("draw a digit");
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * canvas.width / box.width,
          (event.clientY - box.top) * canvas.height / box.height];
}

canvas.addEventListener("pointerdown", (event) => {
  canvas.setPointerCapture(event.pointerId);
  drawing = true;
  last = point(event);
  pen.fillStyle = "black";
  pen.beginPath();
  pen.arc(last[0], last[1], INK / 2, 0, 2 * Math.PI);  // a tap leaves a dot
  pen.fill();
});

canvas.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const next = point(event);
  pen.strokeStyle = "black";
  pen.lineWidth = INK;
  pen.lineCap = "round";
  pen.beginPath();
  pen.moveTo(last[0], last[1]);
  pen.lineTo(next[0], next[1]);
  pen.stroke();
  last = next;
});

function release() {
  if (!drawing) return;
  drawing = false;
  const released = performance.now();
  show("asking the models…");
  canvas.toBlob((png) => send(png, "drawing.png", released), "image/png");
}
canvas.addEventListener("pointerup", release);
canvas.addEventListener("pointercancel", release);

document.getElementById("clear").addEventListener("click", clearAll);

document.getElementById("upload").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const started = performance.now();
  clearAll();
  event.target.value = "";  // choosing the same file again is a new upload
  if (file.size > maxUpload) {  // the server's own words, without sending megabytes to be refused
    show(`${file.name}: larger than ${maxUpload.toLocaleString("en-US")} bytes: shrink it first`, true);
    return;
  }
  show("asking the models…");
  send(file, file.name, started);
});

async function ask(url, options) {
  // The server's refusals are JSON {error}; anything else (a proxy's page) is shown as it came.
  const response = await fetch(url, options);
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return {error: `HTTP ${response.status} from the server: ${text.slice(0, 200)}`};
  }
}

async function send(image, name, started) {
  const mine = ++latest;
  let reply;
  try {
    reply = await ask("api/predict?name=" + encodeURIComponent(name), {
      // The bytes rather than the Blob: browsers' developer tools (and the tests) then see the body.
      method: "POST", body: await image.arrayBuffer(),
      headers: {"Content-Type": image.type || "application/octet-stream"},
    });
  } catch (error) {
    reply = {error: `no answer from the server (${error.message}): is digits-demo still running?`};
  }
  if (mine !== latest) return;
  if (reply.error) {
    answers.replaceChildren();
    seen.clearRect(0, 0, 28, 28);
    show(reply.error, true);
    return;
  }
  showSeen(reply.image);
  showAnswers(reply.models, reply.served);
  showServed(reply.served);
  show(`answered in ${Math.round(performance.now() - started)} ms`);
}

function showSeen(rows) {
  const pixels = seen.createImageData(28, 28);
  rows.flat().forEach((value, index) => {
    pixels.data.set([value, value, value, 255], 4 * index);
  });
  seen.putImageData(pixels, 0, 0);
}

function showAnswers(models, served) {
  answers.replaceChildren(...Object.entries(models).map(([model, best]) => {
    const card = element("div", "model");
    card.dataset.model = model;
    card.append(element("h2", "", model), element("p", "answer", best[0][0]));
    for (const [name, probability] of best) {
      const row = element("div", "row");
      const bar = element("span", "bar");
      const fill = element("span", "fill");
      fill.style.width = `${100 * probability}%`;
      bar.append(fill);
      row.append(element("span", "label", name), bar,
                 element("span", "value", `${(100 * probability).toFixed(1)}%`));
      card.append(row);
    }
    const file = served[model];
    card.append(element("p", "about", `sha256 ${file.sha256.slice(0, 12)} · `
                        + `${file.parameters.toLocaleString("en-US")} parameters`));
    if (file.problem) card.append(element("p", "stale error", file.problem));
    return card;
  }));
}

let dataset = "";

function showServed(served) {
  // Which files answer: a model retrained on disk shows here with its new sha256.
  const models = Object.entries(served).map(
    ([name, file]) => `${name} (${file.path}, sha256 ${file.sha256.slice(0, 12)})`);
  document.getElementById("about").textContent =
    `models: ${models.join(", ") || "none"} · classes of ${dataset}`;
}

async function start() {
  clearAll();
  const info = await ask("api/info");
  if (info.error) {  // e.g. refused by the server's Host check
    show(info.error, true);
    return;
  }
  maxUpload = info.max_upload;
  dataset = info.dataset;
  if (info.problem) {
    const problem = document.getElementById("problem");
    problem.textContent = `${info.problem}, then start digits-demo again.`;
    problem.hidden = false;
  }
  showServed(info.models);
}

start();
