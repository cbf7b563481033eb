// Five optimisers race down the same narrow valley. Pick which ones run and their learning
// rate (as a multiple of each one's tuned rate), then play or drag through the steps.
export function mount(w) {
  const { Plot, formatNumber } = w.chart;
  const data = w.data;
  const uid = w.id;
  const tokens = ["muted", "model", "truth", "validation", "train"];
  const [h1, h2] = data.curvatures;
  const loss = (p) => 0.5 * (h1 * p[0] * p[0] + h2 * p[1] * p[1]);
  const tunedIndex = data.multipliers.indexOf(1);
  const startLoss = loss(data.start);
  const shown = new Set(["gd", "heavy_ball", "adam"]);

  const boxes = data.optimisers.map((opt, i) => `<label><input type="checkbox" value="${opt.name}"
      ${shown.has(opt.name) ? "checked" : ""}><span class="swatch" data-token="${tokens[i]}"></span>${opt.label}</label>`).join("");
  const rates = data.multipliers.map((m, i) =>
    `<option value="${i}"${i === tunedIndex ? " selected" : ""}>${m === 1 ? "each one's tuned rate" : `${m} × tuned rate`}</option>`).join("");
  w.element.innerHTML = `
    <canvas class="race-canvas" role="img" width="720" height="340"></canvas>
    <div class="widget-controls race-choices">${boxes}</div>
    <div class="widget-controls">
      <label for="${uid}-rate">Learning rate</label>
      <select id="${uid}-rate" class="race-rate">${rates}</select>
      <button type="button" class="widget-button">Play</button>
      <label for="${uid}-step">Step</label>
      <input id="${uid}-step" class="race-step" type="range" min="0" max="${data.steps}" step="1" value="${data.steps}">
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const canvas = w.element.querySelector("canvas");
  const slider = w.element.querySelector(".race-step");
  const rate = w.element.querySelector(".race-rate");
  const readout = w.element.querySelector(".widget-readout");
  const plot = new Plot(canvas, { x: data.view.x, y: data.view.y, xLabel: "w1 (shallow direction)", yLabel: "w2 (steep)" });
  w.player(w.element.querySelector("button"), slider, 90);
  rate.addEventListener("change", w.redraw);
  w.element.querySelectorAll(".race-choices input").forEach((box) => box.addEventListener("change", () => {
    if (box.checked) shown.add(box.value); else shown.delete(box.value);
    w.redraw();
  }));

  // Level sets of the loss, a factor of 10 apart, as ellipses.
  const levels = [0, 1, 2, 3, 4].map((k) => startLoss * 10 ** -k);
  const theta = Array.from({ length: 121 }, (_, i) => (2 * Math.PI * i) / 120);

  function draw(colors) {
    const step = Number(slider.value);
    const m = Number(rate.value);
    plot.begin(colors);
    for (const L of levels) {
      const a = Math.sqrt((2 * L) / h1), b = Math.sqrt((2 * L) / h2);
      plot.line(theta.map((t) => a * Math.cos(t)), theta.map((t) => b * Math.sin(t)), colors.border, { width: 1 });
    }
    plot.points([0], [0], colors.highlight, { radius: 5 });
    const parts = [];
    data.optimisers.forEach((opt, i) => {
      if (!shown.has(opt.name)) return;
      const path = opt.paths[m].slice(0, step + 1);
      plot.line(path.map((p) => p[0]), path.map((p) => p[1]), colors[tokens[i]], { width: 2 });
      const here = path[path.length - 1];
      plot.points([here[0]], [here[1]], colors[tokens[i]], { radius: 4.5 });
      const left = opt.left[m];
      const lr = formatNumber(opt.lr * data.multipliers[m]);
      parts.push(left >= 0 && step >= left ? `${opt.label} (lr ${lr}) left the view at step ${left}`
        : `${opt.label} (lr ${lr}) at loss ${formatNumber(loss(here))}`);
    });
    plot.points([data.start[0]], [data.start[1]], colors.text, { radius: 3.5, filled: false });
    plot.end();
    const text = `Step ${step} of ${data.steps}: ` + (parts.length ? parts.join("; ") : "no optimiser chosen") + ".";
    readout.textContent = text;
    canvas.setAttribute("aria-label", `Contours of the valley and the chosen optimisers' paths. ${text}`);
    slider.setAttribute("aria-valuetext", `step ${step}`);
    w.figure.dataset.step = String(step);
    w.figure.dataset.multiplier = String(data.multipliers[m]);
  }
  return draw;
}
