// The small CNN, run in the page: pick a test digit (or paint one) and a shift, and see
// each first-layer filter, its feature map, and the ten class probabilities.
// forward() is the same computation as the PyTorch model, layer for layer; a test runs it
// on the shipped digits and compares its scores with PyTorch's.

const SIZE = 8;

// Move the image dx pixels right and dy down; what crosses the edge is lost.
export function shiftImage(image, dx, dy) {
  const out = image.map((row) => row.map(() => 0));
  for (let i = 0; i < SIZE; i += 1) {
    for (let j = 0; j < SIZE; j += 1) {
      const si = i - dy;
      const sj = j - dx;
      if (si >= 0 && si < SIZE && sj >= 0 && sj < SIZE) out[i][j] = image[si][sj];
    }
  }
  return out;
}

// One 3×3 cross-correlation with one ring of zero padding, summed over input channels.
function conv3(channels, kernels, bias) {
  const n = channels[0].length;
  const out = [];
  for (let i = 0; i < n; i += 1) {
    const row = [];
    for (let j = 0; j < n; j += 1) {
      let sum = bias;
      for (let c = 0; c < channels.length; c += 1) {
        for (let u = 0; u < 3; u += 1) {
          for (let v = 0; v < 3; v += 1) {
            const a = i + u - 1;
            const b = j + v - 1;
            if (a >= 0 && a < n && b >= 0 && b < n) sum += kernels[c][u][v] * channels[c][a][b];
          }
        }
      }
      row.push(sum);
    }
    out.push(row);
  }
  return out;
}

const relu = (map) => map.map((row) => row.map((v) => Math.max(v, 0)));

function pool2(map) {
  const out = [];
  for (let i = 0; i < map.length; i += 2) {
    const row = [];
    for (let j = 0; j < map.length; j += 2) {
      row.push(Math.max(map[i][j], map[i][j + 1], map[i + 1][j], map[i + 1][j + 1]));
    }
    out.push(row);
  }
  return out;
}

// conv(1→8) → ReLU → 2×2 max-pool → conv(8→16) → ReLU → largest value per map → dense.
export function forward(data, image) {
  const maps = data.conv1_weight.map((kernel, k) => relu(conv3([image], [kernel], data.conv1_bias[k])));
  const pooled = maps.map(pool2);
  const features = data.conv2_weight.map((kernels, k) =>
    Math.max(...relu(conv3(pooled, kernels, data.conv2_bias[k])).flat()));
  const scores = data.out_weight.map((row, c) =>
    row.reduce((sum, weight, f) => sum + weight * features[f], data.out_bias[c]));
  return { maps, features, scores };
}

export function softmax(scores) {
  const top = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

// A colour between two "#rrggbb" colours.
function mix(a, b, t) {
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  return `rgb(${pa.map((v, i) => Math.round(v + (pb[i] - v) * t)).join(",")})`;
}

function paintGrid(canvas, grid, colour) {
  const ctx = canvas.getContext("2d");
  const n = grid.length;
  const cell = canvas.width / n;
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) {
      ctx.fillStyle = colour(grid[i][j]);
      ctx.fillRect(j * cell, i * cell, Math.ceil(cell), Math.ceil(cell));
    }
  }
}

export function mount(w) {
  const data = w.data;
  const uid = w.id;
  const filters = data.conv1_weight.length;
  const shiftOptions = data.shifts.map((s) => `<option value="${s}"${s === 0 ? " selected" : ""}>${s > 0 ? "+" : ""}${s}</option>`).join("");
  w.element.innerHTML = `
    <div class="fx-layout">
      <div class="fx-input">
        <canvas class="fx-digit" width="160" height="160" role="img"></canvas>
        <p class="fx-note">the digit the network sees; click or drag on it to paint</p>
      </div>
      <div class="fx-maps">${data.conv1_weight.map((_, f) => `
        <div class="fx-filter">
          <span class="fx-name">filter ${f + 1}</span>
          <canvas class="fx-kernel" width="60" height="60" role="img" aria-label="filter ${f + 1}'s 3 by 3 weights"></canvas>
          <canvas class="fx-map" width="80" height="80" role="img"></canvas>
        </div>`).join("")}
      </div>
    </div>
    <canvas class="fx-bars" width="640" height="140" role="img"></canvas>
    <div class="widget-controls fx-controls">
      <fieldset class="fx-digits"><legend>Test digit</legend>${data.labels.map((label, k) =>
        `<button type="button" class="widget-button" data-example="${k}" aria-pressed="false">${label}</button>`).join("")}
        <button type="button" class="widget-button fx-clear">Clear</button></fieldset>
      <label for="${uid}-dx">Shift right</label><select id="${uid}-dx" class="fx-dx">${shiftOptions}</select>
      <label for="${uid}-dy">Shift down</label><select id="${uid}-dy" class="fx-dy">${shiftOptions}</select>
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const digitCanvas = w.element.querySelector(".fx-digit");
  const kernelCanvases = [...w.element.querySelectorAll(".fx-kernel")];
  const mapCanvases = [...w.element.querySelectorAll(".fx-map")];
  const bars = w.element.querySelector(".fx-bars");
  const dx = w.element.querySelector(".fx-dx");
  const dy = w.element.querySelector(".fx-dy");
  const readout = w.element.querySelector(".widget-readout");
  const buttons = [...w.element.querySelectorAll("[data-example]")];
  let base = data.examples[data.start].map((row) => row.slice());
  let source = `test digit ${data.labels[data.start]}`;
  let picked = data.start;

  function pick(k) {
    base = data.examples[k].map((row) => row.slice());
    picked = k;
    source = `test digit ${data.labels[k]}`;
    w.redraw();
  }
  buttons.forEach((button) => button.addEventListener("click", () => pick(Number(button.dataset.example))));
  w.element.querySelector(".fx-clear").addEventListener("click", () => {
    base = base.map((row) => row.map(() => 0));
    picked = -1;
    source = "your drawing";
    w.redraw();
  });
  dx.addEventListener("change", () => w.redraw());
  dy.addEventListener("change", () => w.redraw());

  // Painting: a pointer on the digit sets that pixel (of the unshifted image) to full ink.
  let painting = false;
  function paintAt(event) {
    const box = digitCanvas.getBoundingClientRect();
    const j = Math.floor(((event.clientX - box.left) / box.width) * SIZE) - Number(dx.value);
    const i = Math.floor(((event.clientY - box.top) / box.height) * SIZE) - Number(dy.value);
    if (i < 0 || i >= SIZE || j < 0 || j >= SIZE || base[i][j] === 1) return;
    base[i][j] = 1;
    if (picked >= 0) source = `test digit ${data.labels[picked]}, painted over`;
    picked = -1;
    w.redraw();
  }
  digitCanvas.addEventListener("pointerdown", (event) => { painting = true; paintAt(event); });
  digitCanvas.addEventListener("pointermove", (event) => { if (painting) paintAt(event); });
  window.addEventListener("pointerup", () => { painting = false; });

  function draw(colors) {
    const sx = Number(dx.value);
    const sy = Number(dy.value);
    const image = shiftImage(base, sx, sy);
    const { maps, scores } = forward(data, image);
    const p = softmax(scores);
    const best = p.indexOf(Math.max(...p));
    paintGrid(digitCanvas, image, (v) => mix(colors.background, colors.text, v));
    const edge = Math.max(...data.conv1_weight.flat(2).map(Math.abs));
    kernelCanvases.forEach((canvas, f) => paintGrid(canvas, data.conv1_weight[f], (v) =>
      (v >= 0 ? mix(colors.background, colors.train, v / edge) : mix(colors.background, colors.validation, -v / edge))));
    const top = Math.max(1e-9, ...maps.flat(2));
    mapCanvases.forEach((canvas, f) => {
      paintGrid(canvas, maps[f], (v) => mix(colors.background, colors.accent, v / top));
      const total = maps[f].flat().reduce((a, b) => a + b, 0);
      canvas.setAttribute("aria-label", `feature map ${f + 1}: total response ${total.toFixed(1)}`);
    });

    // The bar chart is drawn at the size it is shown, so its labels stay readable on a phone.
    const ratio = window.devicePixelRatio || 1;
    const width = bars.clientWidth || 640;
    const height = bars.clientHeight || 150;
    bars.width = Math.round(width * ratio);
    bars.height = Math.round(height * ratio);
    const ctx = bars.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const slot = width / 10;
    ctx.font = "14px system-ui, sans-serif";
    ctx.textAlign = "center";
    for (let c = 0; c < 10; c += 1) {
      const h = (height - 44) * p[c];
      ctx.fillStyle = c === best ? colors.accent : colors.muted;
      ctx.fillRect(c * slot + slot * 0.2, height - 22 - h, slot * 0.6, Math.max(h, 1));
      ctx.fillStyle = colors.text;
      ctx.fillText(String(c), c * slot + slot / 2, height - 5);
      if (p[c] >= 0.01) ctx.fillText(`${Math.round(100 * p[c])}%`, c * slot + slot / 2, height - 27 - h);
    }
    buttons.forEach((button, k) => button.setAttribute("aria-pressed", String(k === picked)));
    const moved = sx === 0 && sy === 0 ? "unshifted" : `shifted ${sx} right and ${sy} down`;
    const text = `${source[0].toUpperCase()}${source.slice(1)}, ${moved}: the network says ${best} ` +
      `(${Math.round(100 * p[best])}%).`;
    readout.textContent = text;
    digitCanvas.setAttribute("aria-label", `${source}, ${moved}`);
    bars.setAttribute("aria-label", `Class probabilities; the largest is ${best} at ${Math.round(100 * p[best])}%.`);
    w.figure.dataset.prediction = String(best);
    w.figure.dataset.shift = `${sx},${sy}`;
    w.figure.dataset.source = source;
    w.figure.dataset.ink = String(base.flat().filter((v) => v > 0).length);
  }
  return draw;
}
