// The overfit player: scrub or play through the recorded snapshots of a run and watch
// the network's curve chase the noise while the validation loss turns up.
// Mounted by static/js/mount.js, which hands it `w` (see there).

export function mount(w) {
  const { Plot, formatLoss, draggable, setSlider } = w.chart;
  const data = w.data;
  const container = w.element;
  const snaps = data.snapshots;
  const last = snaps.epoch.length - 1;
  const uid = w.id;

  container.innerHTML = `
    <div class="widget-panels">
      <div>
        <canvas class="fit-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="train"></span>training points</li>
          <li><span class="swatch" data-token="validation"></span>validation points (a sample)</li>
          <li><span class="swatch" data-token="model"></span>network</li>
          <li class="truth-legend"><span class="swatch" data-token="truth"></span>true function</li>
        </ul>
      </div>
      <div>
        <canvas class="loss-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="train"></span>training loss</li>
          <li><span class="swatch" data-token="validation"></span>validation loss</li>
          <li><span class="swatch" data-token="highlight"></span>current epoch</li>
        </ul>
      </div>
    </div>
    <div class="widget-controls">
      <button type="button" class="widget-button play">Play</button>
      <label for="${uid}-epoch">Epoch</label>
      <input id="${uid}-epoch" class="epoch-slider" type="range" min="0" max="${last}" step="1" value="${last}">
      <label><input type="checkbox" class="show-truth" checked> true function</label>
    </div>
    <p class="widget-readout" aria-hidden="true"></p>
    <p class="sr-only" role="status"></p>`;

  const fitCanvas = container.querySelector(".fit-canvas");
  const lossCanvas = container.querySelector(".loss-canvas");
  const slider = container.querySelector(".epoch-slider");
  const playButton = container.querySelector(".play");
  const truthBox = container.querySelector(".show-truth");
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

  const allY = [...data.train.y, ...data.val.y, ...data.truth];
  const pad = 0.25;
  const fitPlot = new Plot(fitCanvas, {
    x: [-1, 1], y: [Math.min(...allY) - pad, Math.max(...allY) + pad], xLabel: "x", yLabel: "y",
  });
  const losses = [...data.loss.log10_train, ...data.loss.log10_val];
  const lossPlot = new Plot(lossCanvas, {
    x: [0, data.epochs], y: [10 ** Math.floor(Math.min(...losses)), 10 ** Math.ceil(Math.max(...losses))],
    xLabel: "epoch (log scale)", yLabel: "loss (log scale)", yLog: true, xLogEpoch: true,
  });
  const trainLoss = data.loss.log10_train.map((v) => 10 ** v);
  const valLoss = data.loss.log10_val.map((v) => 10 ** v);

  function describe(i) {
    return `Epoch ${snaps.epoch[i]} of ${data.epochs}: training loss ${formatLoss(snaps.train_loss[i])}, ` +
      `validation loss ${formatLoss(snaps.val_loss[i])}`;
  }

  function draw(colors) {
    const i = Number(slider.value);

    fitPlot.begin(colors);
    if (truthBox.checked) fitPlot.line(data.grid, data.truth, colors.truth, { width: 1.5, dash: [6, 4] });
    fitPlot.points(data.val.x, data.val.y, colors.validation, { filled: false, radius: 3 });
    fitPlot.points(data.train.x, data.train.y, colors.train, { radius: 3.5 });
    fitPlot.line(data.grid, snaps.prediction[i], colors.model, { width: 2.5 });
    fitPlot.end();

    lossPlot.begin(colors);
    lossPlot.vline(data.best.epoch, colors.muted, { dash: [3, 3], width: 1 });
    lossPlot.line(data.loss.epoch, trainLoss, colors.train);
    lossPlot.line(data.loss.epoch, valLoss, colors.validation);
    lossPlot.vline(snaps.epoch[i], colors.highlight, { width: 2 });
    lossPlot.points([snaps.epoch[i], snaps.epoch[i]], [snaps.train_loss[i], snaps.val_loss[i]], colors.highlight);
    const end = data.loss.epoch.at(-1);
    const yVal = lossPlot.endLabel(end, valLoss.at(-1), "validation", colors.validation, [],
      { xs: data.loss.epoch, ys: valLoss });
    lossPlot.endLabel(end, trainLoss.at(-1), "training", colors.train, [yVal], { xs: data.loss.epoch, ys: trainLoss });
    lossPlot.end();

    const text = describe(i);
    readout.textContent = text;
    announce(text);
    slider.setAttribute("aria-valuetext", text);
    fitCanvas.setAttribute("aria-label", `The network's prediction at epoch ${snaps.epoch[i]}, drawn over ` +
      `${data.train.x.length} training points and a sample of ${data.val.x.length} validation points.`);
    lossCanvas.setAttribute("aria-label", `Training and validation loss over ${data.epochs} epochs on a log ` +
      `epoch axis; validation loss is lowest at epoch ${data.best.epoch}.`);
    w.figure.dataset.epoch = snaps.epoch[i];
  }

  // Playing steps through the snapshots at a steady pace and stops at the last one.
  w.player(playButton, slider, 60);
  // Drag the epoch marker on the loss chart: the nearest snapshot on the log epoch axis.
  const logEpoch = (e) => Math.log10(e + 1);
  draggable(lossCanvas, (X) => {
    const target = logEpoch(lossPlot.xAt(X));
    let best = 0;
    snaps.epoch.forEach((e, k) => {
      if (Math.abs(logEpoch(e) - target) < Math.abs(logEpoch(snaps.epoch[best]) - target)) best = k;
    });
    setSlider(slider, best);
  });
  truthBox.addEventListener("change", w.redraw);
  return draw;
}
