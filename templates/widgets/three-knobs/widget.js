// Three knobs against overfitting: pick a regulariser and its strength, and compare its
// validation curve and final fit with the unregularised network's.
// Mounted by static/js/mount.js, which hands it `w` (see there).

export function mount(w) {
  const { Plot, formatLoss } = w.chart;
  const data = w.data;
  const container = w.element;
  const uid = w.id;
  const figure = w.figure;
  const base = data.base;
  const tenTo = (logs) => logs.map((v) => 10 ** v);
  const radios = data.knobs.map((knob, i) => `<label><input type="radio" name="${uid}-knob" value="${i}"
    ${i === 0 ? "checked" : ""}> ${knob.name}</label>`).join("");

  container.innerHTML = `
    <fieldset class="widget-controls knob-choice"><legend>Regulariser</legend>${radios}</fieldset>
    <div class="widget-controls">
      <label for="${uid}-strength" class="strength-label">Strength</label>
      <input id="${uid}-strength" class="strength-slider" type="range" min="0" max="0" step="1" value="0">
    </div>
    <div class="widget-panels">
      <div>
        <canvas class="val-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="validation"></span>no regulariser</li>
          <li><span class="swatch" data-token="model"></span><span class="knob-legend"></span></li>
        </ul>
      </div>
      <div>
        <canvas class="fit-canvas" role="img" width="400" height="300"></canvas>
        <ul class="legend">
          <li><span class="swatch" data-token="train"></span>training points</li>
          <li><span class="swatch" data-token="truth"></span>true function</li>
        </ul>
      </div>
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const valCanvas = container.querySelector(".val-canvas");
  const fitCanvas = container.querySelector(".fit-canvas");
  const slider = container.querySelector(".strength-slider");
  const sliderLabel = container.querySelector(".strength-label");
  const readout = container.querySelector(".widget-readout");
  const knobLegend = container.querySelector(".knob-legend");

  const allVal = [...base.log10_val,
    ...data.knobs.flatMap((knob) => knob.settings.flatMap((setting) => setting.log10_val))];
  const valPlot = new Plot(valCanvas, {
    x: [0, data.epochs], y: [10 ** Math.floor(Math.min(...allVal)), 10 ** Math.ceil(Math.max(...allVal))],
    xLabel: "epoch (log scale)", yLabel: "validation loss (log)", yLog: true, xLogEpoch: true,
  });
  const ys = [...data.train.y, ...data.truth];
  const fitPlot = new Plot(fitCanvas, {
    x: [-1, 1], y: [Math.min(...ys) - 0.3, Math.max(...ys) + 0.3], xLabel: "x", yLabel: "y",
  });

  const chosen = () => Number(container.querySelector("input[type=radio]:checked").value);
  const describe = (k, s) => `${k.name}, ${k.unit} ${s.value}`;

  function chooseKnob() {
    const k = data.knobs[chosen()];
    slider.max = String(k.settings.length - 1);
    // Start on the best setting: the one the lesson's claim is about.
    const best = k.settings.reduce((b, s, i) => (s.final_val < k.settings[b].final_val ? i : b), 0);
    slider.value = String(best);
    w.redraw();
  }

  function draw(colors) {
    const k = data.knobs[chosen()];
    const s = k.settings[Number(slider.value)];

    valPlot.begin(colors);
    valPlot.line(base.epoch, tenTo(base.log10_val), colors.validation, { width: 1.5 });
    valPlot.line(s.epoch, tenTo(s.log10_val), colors.model, { width: 2 });
    if (s.stopped_epoch < data.epochs) valPlot.vline(s.stopped_epoch, colors.muted, { dash: [4, 3], width: 1 });
    valPlot.end();

    fitPlot.begin(colors);
    fitPlot.line(data.grid, data.truth, colors.truth, { width: 1.5, dash: [6, 4] });
    fitPlot.points(data.val.x, data.val.y, colors.muted, { filled: false, radius: 2.5 });
    fitPlot.points(data.train.x, data.train.y, colors.train, { radius: 3.5 });
    fitPlot.line(data.grid, base.prediction, colors.validation, { width: 1.5 });
    fitPlot.line(data.grid, s.prediction, colors.model, { width: 2.5 });
    fitPlot.end();

    const change = 100 * (1 - s.final_val / base.final_val);
    const text = `${describe(k, s)}: final validation loss ${formatLoss(s.final_val)}, ` +
      `${Math.abs(change).toFixed(0)}% ${change >= 0 ? "below" : "above"} the unregularised ` +
      `${formatLoss(base.final_val)}; weight norm ${s.weight_norm}` +
      (s.stopped_epoch < data.epochs ? `; stopped at epoch ${s.stopped_epoch}, kept epoch ${s.best_epoch}.` : ".");
    readout.textContent = text;
    knobLegend.textContent = describe(k, s);
    sliderLabel.textContent = `${k.unit[0].toUpperCase()}${k.unit.slice(1)}: ${s.value}`;
    slider.setAttribute("aria-valuetext", `${k.unit} ${s.value}: final validation loss ${formatLoss(s.final_val)}`);
    valCanvas.setAttribute("aria-label", `Validation loss over epochs without a regulariser and with ` +
      `${describe(k, s)}; final values ${formatLoss(base.final_val)} and ${formatLoss(s.final_val)}.`);
    fitCanvas.setAttribute("aria-label", `The final fitted curves over the training points: without a ` +
      `regulariser, and with ${describe(k, s)}.`);
    Object.assign(figure.dataset, { knob: k.name, value: s.value, run: s.run, finalVal: s.final_val });
  }

  for (const radio of container.querySelectorAll("input[type=radio]")) radio.addEventListener("change", chooseKnob);
  slider.addEventListener("input", w.redraw);
  chooseKnob();
  return draw;
}
