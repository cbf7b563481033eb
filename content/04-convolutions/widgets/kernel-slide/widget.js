// A 3×3 kernel slides over a digit padded with one ring of zeros. Each step puts the
// kernel on nine pixels, multiplies pairwise, adds the nine products, and writes the sum
// into one cell of the feature map. The slider (or Play) picks the step.

function mix(a, b, t) {
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  return `rgb(${pa.map((v, i) => Math.round(v + (pb[i] - v) * t)).join(",")})`;
}

export function mount(w) {
  const data = w.data;
  const uid = w.id;
  const n = data.image.length;
  const last = n * n - 1;
  w.element.innerHTML = `
    <div class="ks-panels">
      <div><p class="ks-title">digit, padded with zeros</p><canvas class="ks-image" width="300" height="300" role="img"></canvas></div>
      <div class="ks-kernel-panel"><p class="ks-title">kernel</p><canvas class="ks-kernel" width="150" height="150" role="img"></canvas></div>
      <div><p class="ks-title">feature map</p><canvas class="ks-output" width="300" height="300" role="img"></canvas></div>
    </div>
    <div class="widget-controls">
      <button type="button" class="widget-button ks-play">Play</button>
      <label for="${uid}-step">Position</label>
      <input id="${uid}-step" class="ks-step" type="range" min="0" max="${last}" step="1" value="${n + 2}">
    </div>
    <p class="widget-readout ks-sum" aria-live="polite"></p>`;
  const imageCanvas = w.element.querySelector(".ks-image");
  const kernelCanvas = w.element.querySelector(".ks-kernel");
  const outputCanvas = w.element.querySelector(".ks-output");
  const slider = w.element.querySelector(".ks-step");
  const readout = w.element.querySelector(".ks-sum");
  const top = Math.max(...data.output.flat().map(Math.abs));
  const edge = Math.max(...data.kernel.flat().map(Math.abs));
  const pixel = (a, b) => (a >= 0 && a < n && b >= 0 && b < n ? data.image[a][b] : 0);

  function draw(colors) {
    const step = Number(slider.value);
    const i = Math.floor(step / n);
    const j = step % n;
    const signed = (v, scale) => (v >= 0 ? mix(colors.background, colors.train, v / scale)
      : mix(colors.background, colors.validation, -v / scale));

    // The padded digit and the window.
    let ctx = imageCanvas.getContext("2d");
    let cell = imageCanvas.width / (n + 2);
    ctx.clearRect(0, 0, imageCanvas.width, imageCanvas.height);
    for (let a = -1; a <= n; a += 1) {
      for (let b = -1; b <= n; b += 1) {
        const inside = a >= 0 && a < n && b >= 0 && b < n;
        ctx.fillStyle = inside ? mix(colors.background, colors.text, pixel(a, b)) : colors.surface;
        ctx.fillRect((b + 1) * cell, (a + 1) * cell, cell - 1, cell - 1);
      }
    }
    ctx.strokeStyle = colors.highlight;
    ctx.lineWidth = 4;
    ctx.strokeRect(j * cell + 2, i * cell + 2, 3 * cell - 4, 3 * cell - 4);

    // The kernel, with its weights written in.
    ctx = kernelCanvas.getContext("2d");
    cell = kernelCanvas.width / 3;
    ctx.font = "bold 22px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    let sum = 0;
    const terms = [];
    for (let u = 0; u < 3; u += 1) {
      for (let v = 0; v < 3; v += 1) {
        const weight = data.kernel[u][v];
        const value = pixel(i + u - 1, j + v - 1);
        sum += weight * value;
        if (weight !== 0 && value !== 0) terms.push(`${weight} × ${value.toFixed(2)}`);
        ctx.fillStyle = signed(weight, edge * 2);
        ctx.fillRect(v * cell, u * cell, cell - 2, cell - 2);
        ctx.fillStyle = colors.text;
        ctx.fillText(String(weight), v * cell + cell / 2, u * cell + cell / 2);
      }
    }

    // The feature map, filled up to this step.
    ctx = outputCanvas.getContext("2d");
    cell = outputCanvas.width / n;
    ctx.clearRect(0, 0, outputCanvas.width, outputCanvas.height);
    for (let k = 0; k < n * n; k += 1) {
      const a = Math.floor(k / n);
      const b = k % n;
      ctx.fillStyle = k <= step ? signed(data.output[a][b], top) : colors.background;
      ctx.fillRect(b * cell, a * cell, cell - 1, cell - 1);
      ctx.strokeStyle = colors.border;
      ctx.lineWidth = 1;
      ctx.strokeRect(b * cell + 0.5, a * cell + 0.5, cell - 2, cell - 2);
    }
    ctx.strokeStyle = colors.highlight;
    ctx.lineWidth = 4;
    ctx.strokeRect(j * cell + 2, i * cell + 2, cell - 4, cell - 4);

    const shown = terms.length ? `${terms.join(" + ")} = ${sum.toFixed(2)}` : "every product is 0, so the sum is 0";
    readout.textContent = `Row ${i + 1}, column ${j + 1}: ${shown}. The weights of 0 and the blank pixels are left out.`;
    slider.setAttribute("aria-valuetext", `row ${i + 1}, column ${j + 1}`);
    imageCanvas.setAttribute("aria-label", `The digit ${data.label} with the kernel's window at row ${i + 1}, column ${j + 1}.`);
    kernelCanvas.setAttribute("aria-label", `The kernel: ${data.kernel.map((r) => r.join(", ")).join("; ")}.`);
    outputCanvas.setAttribute("aria-label", `The feature map, filled up to row ${i + 1}, column ${j + 1}, where it is ${sum.toFixed(2)}.`);
    w.figure.dataset.step = String(step);
    w.figure.dataset.sum = sum.toFixed(6);
  }
  w.player(w.element.querySelector(".ks-play"), slider, 250);
  return draw;
}
