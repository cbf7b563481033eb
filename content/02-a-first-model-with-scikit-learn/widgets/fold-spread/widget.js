// Fold scores of many random subsets at five sample sizes: pick a size and see how far
// the five fold scores of one cross-validation scatter.
// Mounted by static/js/mount.js, which hands it `w` (see there).

export function mount(w) {
  const { Plot } = w.chart;
  const data = w.data;
  const container = w.element;
  const uid = w.id;
  const sizes = data.sizes;
  container.innerHTML = `
    <canvas class="spread-canvas" role="img" width="640" height="300"></canvas>
    <ul class="legend">
      <li><span class="swatch" data-token="train"></span>one fold's accuracy</li>
      <li><span class="swatch" data-token="highlight"></span>mean ± average spread of the folds</li>
    </ul>
    <div class="widget-controls">
      <label for="${uid}-size">Tumours</label>
      <input id="${uid}-size" class="size-slider" type="range" min="0" max="${sizes.length - 1}" step="1" value="0">
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const canvas = container.querySelector(".spread-canvas");
  const slider = container.querySelector(".size-slider");
  const readout = container.querySelector(".widget-readout");
  const lowest = Math.min(...data.fold_scores.flat());
  const plot = new Plot(canvas, {
    x: [sizes[0] * 0.6, sizes[sizes.length - 1] * 1.6], y: [Math.floor(lowest * 20) / 20 - 0.02, 1.03],
    xLabel: "tumours in the subset (log scale)", yLabel: "fold accuracy", xLogEpoch: true, xTicks: sizes,
  });
  const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
  // Spread the dots sideways a little (on the log axis) so equal scores do not hide each other.
  const jitter = (k, size) => size * 10 ** ((((k * 7) % 20) - 9.5) / 150);

  function draw(colors) {
    const i = Number(slider.value);
    plot.begin(colors);
    sizes.forEach((size, k) => {
      const scores = data.fold_scores[k];
      plot.ctx.globalAlpha = k === i ? 0.9 : 0.3;
      plot.points(scores.map((_, j) => jitter(j, size)), scores, colors.train, { radius: k === i ? 3 : 2 });
      plot.ctx.globalAlpha = 1;
      const m = mean(scores);
      plot.line([size, size], [m - data.spread[k], m + data.spread[k]], colors.highlight, { width: k === i ? 3 : 2 });
      plot.points([size], [m], colors.highlight, { radius: k === i ? 5 : 3.5 });
    });
    plot.end();

    const scores = data.fold_scores[i];
    readout.textContent = `${sizes[i]} tumours, ${data.repeats} random subsets × ${data.folds} folds ` +
      `(${Math.floor(sizes[i] / data.folds)} or more per fold): fold accuracies from ${Math.min(...scores).toFixed(3)} ` +
      `to ${Math.max(...scores).toFixed(3)}, average spread (standard deviation) ${data.spread[i].toFixed(3)}.`;
    slider.setAttribute("aria-valuetext", `${sizes[i]} tumours`);
    canvas.setAttribute("aria-label", `Fold accuracies for subsets of ${sizes[0]} to ${sizes[sizes.length - 1]} ` +
      `tumours; the average spread falls from ${data.spread[0].toFixed(3)} to ` +
      `${data.spread[sizes.length - 1].toFixed(3)}.`);
    Object.assign(w.figure.dataset, { size: sizes[i], spread: data.spread[i] });
  }

  slider.addEventListener("input", w.redraw);
  return draw;
}
