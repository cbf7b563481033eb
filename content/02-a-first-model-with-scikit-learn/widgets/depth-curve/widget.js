// The validation curve of a regression tree: move the marker along the depth and read the
// training error, the validation error and the five fold scores behind it.
// Mounted by static/js/mount.js, which hands it `w` (see there).

export function mount(w) {
  const { Plot } = w.chart;
  const data = w.data;
  const container = w.element;
  const uid = w.id;
  const depths = data.depths;
  const start = depths.indexOf(data.start_depth);
  container.innerHTML = `
    <canvas class="depth-canvas" role="img" width="640" height="300"></canvas>
    <ul class="legend">
      <li><span class="swatch" data-token="train"></span>training error</li>
      <li><span class="swatch" data-token="validation"></span>validation error (dots: each fold)</li>
      <li><span class="swatch" data-token="muted"></span>always predict the mean</li>
    </ul>
    <div class="widget-controls">
      <label for="${uid}-depth">Tree depth</label>
      <input id="${uid}-depth" class="depth-slider" type="range" min="0" max="${depths.length - 1}" step="1"
        value="${start}">
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const canvas = container.querySelector(".depth-canvas");
  const slider = container.querySelector(".depth-slider");
  const readout = container.querySelector(".widget-readout");
  const top = Math.max(...data.val_folds.flat(), data.baseline_mse) * 1.08;
  const plot = new Plot(canvas, {
    x: [depths[0] - 0.5, depths[depths.length - 1] + 0.5], y: [0, top],
    xLabel: "tree depth (max_depth)", yLabel: "mean squared error",
  });
  const fmt = (v) => Math.round(v).toLocaleString("en");
  const bestIndex = depths.indexOf(data.best_depth);

  function draw(colors) {
    const i = Number(slider.value);
    plot.begin(colors);
    plot.line(plot.x, [data.baseline_mse, data.baseline_mse], colors.muted, { width: 1.5, dash: [6, 4] });
    plot.vline(depths[i], colors.highlight, { dash: [4, 4], width: 1.5 });
    depths.forEach((d, k) => plot.points(data.val_folds[k].map(() => d), data.val_folds[k], colors.validation,
      { filled: false, radius: k === i ? 4 : 2.5 }));
    plot.line(depths, data.train_mse, colors.train, { width: 2.5 });
    plot.line(depths, data.val_mse, colors.validation, { width: 2.5 });
    plot.points(depths, data.train_mse, colors.train, { radius: 3 });
    plot.points(depths, data.val_mse, colors.validation, { radius: 3 });
    plot.points([depths[i]], [data.train_mse[i]], colors.train, { radius: 6 });
    plot.points([depths[i]], [data.val_mse[i]], colors.validation, { radius: 6 });
    plot.topLabel(depths[i], `depth ${depths[i]}`, colors.text);
    plot.end();

    const folds = data.val_folds[i];
    let text = `Depth ${depths[i]}: training error ${fmt(data.train_mse[i])}, validation error ` +
      `${fmt(data.val_mse[i])} (folds from ${fmt(Math.min(...folds))} to ${fmt(Math.max(...folds))}). `;
    if (i === bestIndex) text += "This is the lowest validation error of the depths tried.";
    else if (i < bestIndex) text += `Too simple: depth ${data.best_depth} does better on validation.`;
    else text += `Deeper than depth ${data.best_depth}: the training error keeps falling while the validation ` +
      `error is ${fmt(data.val_mse[i] - data.val_mse[bestIndex])} higher` +
      (data.val_mse[i] > data.baseline_mse ? `, worse than always predicting the mean (${fmt(data.baseline_mse)}).`
        : ".");
    readout.textContent = text;
    slider.setAttribute("aria-valuetext", `depth ${depths[i]}`);
    canvas.setAttribute("aria-label", `Training error falls from ${fmt(data.train_mse[0])} to ` +
      `${fmt(data.train_mse[depths.length - 1])} as the depth grows from ${depths[0]} to ` +
      `${depths[depths.length - 1]}; validation error is lowest at depth ${data.best_depth} ` +
      `(${fmt(data.val_mse[bestIndex])}).`);
    Object.assign(w.figure.dataset, { depth: depths[i], trainMse: data.train_mse[i], valMse: data.val_mse[i] });
  }

  slider.addEventListener("input", w.redraw);
  return draw;
}
