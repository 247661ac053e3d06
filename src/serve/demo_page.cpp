#include "serve/demo_page.h"

#include <nlohmann/json.hpp>

#include "data/palette.h"

namespace segmaker::serve {
namespace {

const char* const kPage = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>segmaker: semantic segmentation demo</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  p.hint { margin: 0 0 1rem; color: #555; }
  #drop { display: block; border: 2px dashed #999; border-radius: 8px; padding: 1.2rem; text-align: center; background: #fff; cursor: pointer; }
  #drop.over { border-color: #2a7; background: #efe; }
  #result { display: flex; gap: 1.5rem; margin-top: 1rem; flex-wrap: wrap; align-items: flex-start; }
  #stage { position: relative; }
  #stage canvas { max-width: 80vw; max-height: 75vh; display: block; }
  #overlay { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
  #opacity-row { margin-top: .4rem; font-size: .9rem; }
  table { border-collapse: collapse; font-size: .95rem; }
  td, th { padding: .2rem .6rem; text-align: left; }
  td.share { text-align: right; font-variant-numeric: tabular-nums; }
  .swatch { display: inline-block; width: 1rem; height: 1rem; border: 1px solid #0004; vertical-align: middle; }
  #status { margin-top: .8rem; min-height: 1.2rem; }
  #status.error { color: #b00; }
</style>
</head>
<body data-state="idle">
<h1>segmaker &mdash; semantic segmentation</h1>
<p class="hint">Choose or drop an image (JPEG, PNG, GIF, BMP, WebP, TIFF). It is sent to <code>POST /invocations</code>
with <code>Accept: application/json</code>; the predicted mask is drawn over it.</p>
<label id="drop">Drop an image here or <input id="file" type="file" accept="image/*"></label>
<div id="status"></div>
<div id="result" hidden>
  <div>
    <div id="stage"><canvas id="image"></canvas><canvas id="overlay"></canvas></div>
    <div id="opacity-row">mask opacity <input id="opacity" type="range" min="0" max="100" value="55"></div>
  </div>
  <table id="legend"><thead><tr><th></th><th>class</th><th>share</th><th>pixels</th></tr></thead><tbody></tbody></table>
</div>
<script>
const PALETTE = __PALETTE__;
const $ = (id) => document.getElementById(id);

function setState(state, message) {
  document.body.dataset.state = state;
  $("status").textContent = message || "";
  $("status").className = state === "error" ? "error" : "";
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("the browser cannot display this image"));
    img.src = src;
  });
}

async function segment(file) {
  setState("loading", "Segmenting " + file.name + " ...");
  const started = performance.now();
  try {
    const response = await fetch("/invocations", {
      method: "POST",
      headers: { "Content-Type": file.type || "application/x-image", "Accept": "application/json" },
      body: file,
    });
    const answer = await response.json();
    if (!response.ok) throw new Error((answer.error && answer.error.message) || ("HTTP " + response.status));
    const [picture, mask] = await Promise.all([
      loadImage(URL.createObjectURL(file)),
      loadImage("data:image/png;base64," + answer.mask.data),
    ]);
    draw(picture, mask);
    legend(answer);
    $("result").hidden = false;
    const ms = Math.round(performance.now() - started);
    setState("done", file.name + ": " + answer.width + "\u00d7" + answer.height + " px, " + ms + " ms");
  } catch (err) {
    setState("error", "Error: " + err.message);
  }
}

function draw(picture, mask) {
  const w = mask.naturalWidth, h = mask.naturalHeight;
  for (const id of ["image", "overlay"]) { $(id).width = w; $(id).height = h; }
  $("image").getContext("2d").drawImage(picture, 0, 0, w, h);
  // Read the class ids back from the single-channel PNG (grey: R = G = B = id).
  const scratch = document.createElement("canvas");
  scratch.width = w; scratch.height = h;
  const sctx = scratch.getContext("2d", { willReadFrequently: true });
  sctx.drawImage(mask, 0, 0);
  const ids = sctx.getImageData(0, 0, w, h).data;
  const octx = $("overlay").getContext("2d");
  const out = octx.createImageData(w, h);
  for (let i = 0; i < ids.length; i += 4) {
    const c = PALETTE[ids[i]] || [255, 255, 255];
    out.data[i] = c[0]; out.data[i + 1] = c[1]; out.data[i + 2] = c[2];
    out.data[i + 3] = 255;
  }
  octx.putImageData(out, 0, 0);
  applyOpacity();
}

function applyOpacity() { $("overlay").style.opacity = $("opacity").value / 100; }

function legend(answer) {
  const body = $("legend").querySelector("tbody");
  body.innerHTML = "";
  const rows = answer.pixels.filter((p) => p.count > 0).sort((a, b) => b.share - a.share);
  for (const p of rows) {
    const tr = document.createElement("tr");
    const c = PALETTE[p.id] || [255, 255, 255];
    tr.innerHTML = '<td><span class="swatch"></span></td><td></td><td class="share"></td><td class="share"></td>';
    tr.children[0].firstChild.style.background = "rgb(" + c.join(",") + ")";
    tr.children[1].textContent = p.name;
    tr.children[2].textContent = (100 * p.share).toFixed(1) + " %";
    tr.children[3].textContent = p.count.toLocaleString();
    tr.dataset.classId = p.id;
    body.appendChild(tr);
  }
}

$("file").addEventListener("change", (e) => { if (e.target.files[0]) segment(e.target.files[0]); });
$("opacity").addEventListener("input", applyOpacity);
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files[0]) segment(e.dataTransfer.files[0]);
});
</script>
</body>
</html>
)HTML";

}  // namespace

std::string demo_page_html() {
  nlohmann::json palette = nlohmann::json::array();
  for (int id = 0; id < 256; ++id) {
    const cv::Vec3b c = data::class_color(id);
    palette.push_back({c[0], c[1], c[2]});
  }
  std::string page = kPage;
  const std::string marker = "__PALETTE__";
  page.replace(page.find(marker), marker.size(), palette.dump());
  return page;
}

}  // namespace segmaker::serve
