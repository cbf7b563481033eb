// The loss landscape: with b fixed, L(w) is a parabola. Pick a learning rate and walk
// the recorded gradient-descent steps down (or up and out of) it.
// Mounted by static/js/mount.js, which hands it `widget` (its `w`; see there).

export function mount(widget) {
  const { Plot, formatNumber, draggable, setSlider } = widget.chart;
  const data = widget.data;
  const container = widget.element;
  const uid = widget.id;
  const figure = widget.figure;
  const [c2, c1, c0] = data.coef;
  const loss = (w) => c2 * w * w + c1 * w + c0;
  const good = Math.max(0, data.rates.findIndex((rate) => rate.behaviour === "converges"));
  const options = data.rates.map((rate, i) =>
    `<option value="${i}"${i === good ? " selected" : ""}>${rate.lr} (${rate.behaviour})</option>`).join("");

  container.innerHTML = `
    <div class="widget-panels">
      <div>
        <canvas class="landscape-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="truth"></span>loss L(w)</li>
          <li><span class="swatch" data-token="model"></span>steps so far</li>
          <li><span class="swatch" data-token="highlight"></span>tangent, slope dL/dw</li>
          <li><span class="swatch" data-token="validation"></span>next step</li>
        </ul>
      </div>
      <div>
        <canvas class="steps-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend"><li><span class="swatch" data-token="model"></span>loss at each step</li></ul>
      </div>
    </div>
    <div class="widget-controls">
      <label for="${uid}-rate">Learning rate</label>
      <select id="${uid}-rate" class="rate">${options}</select>
      <button type="button" class="widget-button play">Play</button>
      <label for="${uid}-step">Step</label>
      <input id="${uid}-step" class="step-slider" type="range" min="0" max="1" step="1" value="0">
    </div>
    <p class="widget-readout" aria-hidden="true"></p>
    <p class="sr-only" role="status"></p>`;

  const landscapeCanvas = container.querySelector(".landscape-canvas");
  const stepsCanvas = container.querySelector(".steps-canvas");
  const rateSelect = container.querySelector(".rate");
  const slider = container.querySelector(".step-slider");
  const playButton = container.querySelector(".play");
  const readout = container.querySelector(".widget-readout");
  // Changes the slider does not announce itself (Play, the menu) are said once they settle;
  // the slider's own moves are read from its aria-valuetext, so they are not said twice.
  const status = container.querySelector("[role='status']");
  let spoken = null, settle = null, bySlider = false;
  slider.addEventListener("input", () => { bySlider = true; });
  function announce(text) {
    clearTimeout(settle);
    if (spoken === null || bySlider) { spoken = text; bySlider = false; return; }  // first draw, or the slider
    settle = setTimeout(() => { if (text !== spoken) status.textContent = spoken = text; }, 600);
  }
  const landscape = new Plot(landscapeCanvas, { x: [0, 1], y: [0, 1], xLabel: "weight w", yLabel: "loss L(w)" });
  const steps = new Plot(stepsCanvas, { x: [0, 1], y: [1e-2, 1], xLabel: "step", yLabel: "loss (log scale)", yLog: true });

  // The view of each rate covers its whole trajectory, so a diverging run stays visible.
  function view(rate) {
    const start = Math.abs(rate.w[0] - data.w_star);
    const far = Math.max(1.5 * start, ...rate.w.map((x) => 1.1 * Math.abs(x - data.w_star)));
    const x = [data.w_star - far, data.w_star + far];
    landscape.x = x;
    landscape.y = [0, 1.08 * Math.max(loss(x[0]), loss(x[1]))];
    steps.x = [0, Math.max(1, rate.w.length - 1)];
    const lo = Math.min(...rate.loss), hi = Math.max(...rate.loss);
    steps.y = [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi) + 1e-9)];
  }

  function selectRate() {
    const rate = data.rates[Number(rateSelect.value)];
    slider.max = String(rate.w.length - 1);
    slider.value = "0";
    view(rate);
    widget.redraw();
  }

  function draw(colors) {
    const rate = data.rates[Number(rateSelect.value)];
    const k = Number(slider.value);
    const [w, L, g] = [rate.w[k], rate.loss[k], rate.grad[k]];

    landscape.begin(colors);
    const [lo, hi] = landscape.x;
    const ws = Array.from({ length: 121 }, (_, i) => lo + ((hi - lo) * i) / 120);
    landscape.line(ws, ws.map(loss), colors.truth, { width: 2 });
    landscape.vline(data.w_star, colors.muted, { dash: [3, 3], width: 1 });
    const past = rate.w.slice(0, k + 1);
    landscape.line(past, rate.loss.slice(0, k + 1), colors.model, { width: 1.2 });
    landscape.points(past, rate.loss.slice(0, k + 1), colors.model, { radius: 3 });
    // The tangent: the straight line with slope dL/dw that touches the parabola at w.
    const half = 0.18 * (hi - lo);
    landscape.line([w - half, w + half], [L - g * half, L + g * half], colors.highlight, { width: 2 });
    // The next step: w moves by −lr · dL/dw.
    const next = w - rate.lr * g;
    if (k < rate.w.length - 1 || !Number.isFinite(next)) {
      landscape.arrow(w, L, next, loss(next), colors.validation, { width: 1.5 });
    }
    landscape.points([w], [L], colors.highlight, { radius: 5.5 });
    landscape.end();

    steps.begin(colors);
    steps.line(rate.loss.map((_, i) => i), rate.loss, colors.model, { width: 1.5 });
    steps.vline(k, colors.highlight, { width: 1.5 });
    steps.points([k], [L], colors.highlight, { radius: 4.5 });
    steps.end();

    const text = `Learning rate ${rate.lr}, step ${k} of ${rate.w.length - 1}: w = ${formatNumber(w)}, ` +
      `L = ${formatNumber(L)}, dL/dw = ${formatNumber(g)}`;
    readout.textContent = text;
    announce(text);
    slider.setAttribute("aria-valuetext", text);
    landscapeCanvas.setAttribute("aria-label", `The loss L(w) as a parabola with its minimum at w = ` +
      `${formatNumber(data.w_star)}; with learning rate ${rate.lr} gradient descent ${rate.behaviour}. ` +
      `Step ${k}: w = ${formatNumber(w)}, slope ${formatNumber(g)}.`);
    stepsCanvas.setAttribute("aria-label", `Loss at each of the ${rate.w.length - 1} steps with learning rate ` +
      `${rate.lr}, from ${formatNumber(rate.loss[0])} to ${formatNumber(rate.loss.at(-1))}.`);
    Object.assign(figure.dataset, { rate: rate.lr, step: k, w, loss: L, grad: g });
  }

  // Play walks one step at a time, slowly enough to follow each jump.
  const { stop } = widget.player(playButton, slider, 350);
  // Drag the point along its path: it moves to the recorded step nearest the pointer.
  draggable(landscapeCanvas, (X, Y) => {
    const rate = data.rates[Number(rateSelect.value)];
    let best = 0, bestDistance = Infinity;
    rate.w.forEach((w, k) => {
      const distance = Math.hypot(landscape.px(w) - X, landscape.py(rate.loss[k]) - Y);
      if (distance < bestDistance) { best = k; bestDistance = distance; }
    });
    setSlider(slider, best);
  });
  // On the loss-per-step chart, dragging picks the step under the pointer.
  draggable(stepsCanvas, (X) => setSlider(slider, Math.round(steps.xAt(X))));
  rateSelect.addEventListener("change", () => { stop(); selectRate(); });
  selectRate();
  return draw;
}
