// A learning-rate sweep: pick an optimiser and a rate; the left chart shows where that rate
// ends among all the rates tried, the right one its training and validation curves.
export function mount(w) {
  const { Plot, formatNumber } = w.chart;
  const data = w.data;
  const uid = w.id;
  const tokens = ["muted", "model", "train"];
  const last = data.lrs.length - 1;
  const logLr = data.lrs.map((v) => Math.log10(v));
  let chosen = data.optimisers.length - 1;

  const buttons = data.optimisers.map((opt, i) =>
    `<button type="button" aria-pressed="${i === chosen}" data-index="${i}">${opt.label}</button>`).join("");
  w.element.innerHTML = `
    <div class="widget-controls">
      <div class="segmented" role="group" aria-label="Optimiser">${buttons}</div>
      <label for="${uid}-lr">Learning rate</label>
      <input id="${uid}-lr" class="sweep-lr" type="range" min="0" max="${last}" step="1" value="0">
      <output class="sweep-lr-value" for="${uid}-lr"></output>
    </div>
    <div class="widget-panels">
      <div>
        <canvas class="sweep-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="text"></span>validation (solid), training (dashed)</li>
          <li><span class="swatch" data-token="truth"></span>noise variance</li>
          <li><span class="swatch" data-token="highlight"></span>this rate</li>
        </ul>
      </div>
      <div>
        <canvas class="curve-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="validation"></span>validation loss</li>
          <li><span class="swatch" data-token="train"></span>training loss</li>
        </ul>
      </div>
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const slider = w.element.querySelector(".sweep-lr");
  const value = w.element.querySelector(".sweep-lr-value");
  const readout = w.element.querySelector(".widget-readout");
  const sweepCanvas = w.element.querySelector(".sweep-canvas");
  const curveCanvas = w.element.querySelector(".curve-canvas");
  // The y range covers every final loss of a run that did not diverge, and the noise level.
  const all = data.optimisers.flatMap((o) => o.log10_val.concat(o.log10_train)
    .filter((_, j) => !o.diverged[j % data.lrs.length]).map((c) => c[c.length - 1]));
  const starts = data.optimisers.flatMap((o) => o.log10_train.map((c) => c[0]));
  const yRange = [10 ** Math.floor(Math.min(...all, Math.log10(data.noise_variance))),
    10 ** Math.ceil(Math.max(...all, ...starts))];
  const sweep = new Plot(sweepCanvas, { x: [logLr[0] - 0.2, logLr[last] + 0.2], y: yRange,
    xLabel: "log₁₀ learning rate", yLabel: "final loss (log)", yLog: true });
  const curves = new Plot(curveCanvas, { x: [0, data.epochs[data.epochs.length - 1]], y: yRange,
    xLabel: "epoch (log scale)", yLabel: "loss (log)", yLog: true, xLogEpoch: true });
  const pow = (values) => values.map((v) => 10 ** v);

  function choose(i) {
    chosen = i;
    w.element.querySelectorAll(".segmented button").forEach((b, k) => b.setAttribute("aria-pressed", String(k === i)));
    slider.value = String(data.optimisers[i].best);
    w.redraw();
  }
  w.element.querySelectorAll(".segmented button").forEach((b) => b.addEventListener("click", () => choose(Number(b.dataset.index))));
  slider.addEventListener("input", w.redraw);
  slider.value = String(data.optimisers[chosen].best);

  function draw(colors) {
    const k = Number(slider.value);
    const opt = data.optimisers[chosen];
    sweep.begin(colors);
    sweep.line(logLr, logLr.map(() => data.noise_variance), colors.truth, { width: 1, dash: [2, 3] });
    data.optimisers.forEach((o, i) => {
      const ok = logLr.map((_, j) => j).filter((j) => !o.diverged[j]);
      const width = i === chosen ? 2.5 : 1.2;
      sweep.line(ok.map((j) => logLr[j]), ok.map((j) => 10 ** o.log10_val[j].at(-1)), colors[tokens[i]], { width });
      sweep.line(ok.map((j) => logLr[j]), ok.map((j) => 10 ** o.log10_train[j].at(-1)), colors[tokens[i]], { width, dash: [5, 4] });
      if (i === chosen) sweep.points(ok.map((j) => logLr[j]), ok.map((j) => 10 ** o.log10_val[j].at(-1)), colors[tokens[i]]);
    });
    sweep.vline(logLr[k], colors.highlight, { width: 2 });
    sweep.end();

    curves.begin(colors);
    curves.line(data.epochs, data.epochs.map(() => data.noise_variance), colors.truth, { width: 1, dash: [2, 3] });
    if (!opt.diverged[k]) {
      curves.line(data.epochs, pow(opt.log10_train[k]), colors.train, { width: 2 });
      curves.line(data.epochs, pow(opt.log10_val[k]), colors.validation, { width: 2.5 });
    }
    curves.end();

    const lr = formatNumber(data.lrs[k]);
    value.textContent = lr;
    slider.setAttribute("aria-valuetext", `learning rate ${lr}`);
    const text = opt.diverged[k]
      ? `${opt.label} at learning rate ${lr} diverged: its loss blew up and the run was stopped.`
      : `${opt.label} at learning rate ${lr}${k === opt.best ? " (its best rate)" : ""}: final training loss ` +
        `${formatNumber(10 ** opt.log10_train[k].at(-1))}, validation loss ${formatNumber(10 ** opt.log10_val[k].at(-1))}.`;
    readout.textContent = text;
    sweepCanvas.setAttribute("aria-label", `Final loss against learning rate for each optimiser; marker at ${lr}. ${text}`);
    curveCanvas.setAttribute("aria-label", `Training and validation loss against epoch on log scales. ${text}`);
    w.figure.dataset.optimiser = opt.name;
    w.figure.dataset.lr = String(data.lrs[k]);
  }
  return draw;
}
