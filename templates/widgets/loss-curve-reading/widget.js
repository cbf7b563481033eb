// Reading a loss curve: the training loss alone looks like success; reveal the
// validation loss and the point where training should have stopped appears.
// Mounted by static/js/mount.js, which hands it `w` (see there).

export function mount(w) {
  const { Plot, formatLoss, draggable, setSlider } = w.chart;
  const data = w.data;
  const container = w.element;
  const uid = w.id;
  const figure = w.figure;
  const last = data.epoch.length - 1;
  container.innerHTML = `
    <canvas class="curve-canvas" role="img" width="640" height="320"></canvas>
    <ul class="legend">
      <li><span class="swatch" data-token="train"></span>training loss</li>
      <li class="val-legend" hidden><span class="swatch" data-token="validation"></span>validation loss</li>
      <li class="val-legend" hidden><span class="swatch" data-token="highlight"></span>lowest validation loss: stop here</li>
    </ul>
    <div class="widget-controls">
      <label><input type="checkbox" class="show-val"> Show the validation loss</label>
      <label for="${uid}-epoch">Epoch</label>
      <input id="${uid}-epoch" class="epoch-slider" type="range" min="0" max="${last}" step="1" value="${last}">
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const canvas = container.querySelector(".curve-canvas");
  Object.assign(canvas.style, { width: "100%", height: "auto", aspectRatio: "2 / 1", display: "block" });
  const toggle = container.querySelector(".show-val");
  const slider = container.querySelector(".epoch-slider");
  const readout = container.querySelector(".widget-readout");
  const train = data.log10_train.map((v) => 10 ** v);
  const val = data.log10_val.map((v) => 10 ** v);
  const all = [...data.log10_train, ...data.log10_val];
  const plot = new Plot(canvas, {
    x: [0, data.epochs], y: [10 ** Math.floor(Math.min(...all)), 10 ** Math.ceil(Math.max(...all))],
    xLabel: "epoch (log scale)", yLabel: "loss (log scale)", yLog: true, xLogEpoch: true,
  });

  function draw(colors) {
    const i = Number(slider.value);
    const shown = toggle.checked;
    for (const item of container.querySelectorAll(".val-legend")) item.hidden = !shown;

    plot.begin(colors);
    plot.line(data.epoch, train, colors.train);
    if (shown) {
      plot.vline(data.best.epoch, colors.highlight, { dash: [5, 4], width: 1.5 });
      plot.line(data.epoch, val, colors.validation);
      plot.points([data.best.epoch], [data.best.val_loss], colors.highlight, { radius: 5.5 });
      plot.topLabel(data.best.epoch, `stop here: epoch ${data.best.epoch}`, colors.text);
    }
    plot.vline(data.epoch[i], colors.muted, { width: 1 });
    plot.points([data.epoch[i]], [train[i]], colors.train, { radius: 4 });
    if (shown) plot.points([data.epoch[i]], [val[i]], colors.validation, { radius: 4 });
    const yVal = shown ? [plot.endLabel(data.epoch.at(-1), val.at(-1), "validation", colors.validation, [],
      { xs: data.epoch, ys: val })] : [];
    plot.endLabel(data.epoch.at(-1), train.at(-1), "training", colors.train, yVal, { xs: data.epoch, ys: train });
    plot.end();

    let text = `Epoch ${data.epoch[i]} of ${data.epochs}: training loss ${formatLoss(train[i])}`;
    if (shown) {
      text += `, validation loss ${formatLoss(val[i])}. Validation loss is lowest at epoch ` +
        `${data.best.epoch} (${formatLoss(data.best.val_loss)}), where early stopping would keep the weights.`;
    } else {
      text += ". Tick the box to see how the network does on data it never trained on.";
    }
    readout.textContent = text;
    slider.setAttribute("aria-valuetext", text);
    canvas.setAttribute("aria-label", shown
      ? `Training loss goes from ${formatLoss(data.first.train_loss)} to ${formatLoss(data.final.train_loss)} ` +
        `over ${data.epochs} epochs; validation loss is lowest at epoch ${data.best.epoch} ` +
        `(${formatLoss(data.best.val_loss)}) and ends at ${formatLoss(data.final.val_loss)}.`
      : `Training loss over ${data.epochs} epochs on a log epoch axis, from ` +
        `${formatLoss(data.first.train_loss)} to ${formatLoss(data.final.train_loss)}.`);
    Object.assign(figure.dataset, { epoch: data.epoch[i], validation: shown ? "shown" : "hidden" });
  }

  toggle.addEventListener("change", w.redraw);
  slider.addEventListener("input", w.redraw);
  // Drag the epoch marker along the curve: the nearest recorded epoch on the log axis.
  const logEpoch = (e) => Math.log10(e + 1);
  draggable(canvas, (X) => {
    const target = logEpoch(plot.xAt(X));
    let best = 0;
    data.epoch.forEach((e, k) => {
      if (Math.abs(logEpoch(e) - target) < Math.abs(logEpoch(data.epoch[best]) - target)) best = k;
    });
    setSlider(slider, best);
  });
  return draw;
}
