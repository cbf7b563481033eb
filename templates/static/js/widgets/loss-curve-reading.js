// Reading a loss curve: the training loss alone looks like success; reveal the
// validation loss and the point where training should have stopped appears.
import { Plot, palette, paintSwatches, formatLoss } from "../chart.js";

export function mount(container, data) {
  const uid = container.closest("figure").id;
  const figure = container.closest("figure");
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
    xLabel: "epoch", yLabel: "loss (log scale)", yLog: true,
  });

  function draw() {
    const i = Number(slider.value);
    const shown = toggle.checked;
    const colors = palette();
    paintSwatches(container, colors);
    for (const item of container.querySelectorAll(".val-legend")) item.hidden = !shown;

    plot.begin(colors);
    plot.line(data.epoch, train, colors.train);
    if (shown) {
      plot.vline(data.best.epoch, colors.highlight, { dash: [5, 4], width: 1.5 });
      plot.line(data.epoch, val, colors.validation);
      plot.points([data.best.epoch], [data.best.val_loss], colors.highlight, { radius: 5.5 });
      plot.label(data.best.epoch, data.best.val_loss, `stop here: epoch ${data.best.epoch}`, colors.text,
        { dy: -10 });
    }
    plot.vline(data.epoch[i], colors.muted, { width: 1 });
    plot.points([data.epoch[i]], [train[i]], colors.train, { radius: 4 });
    if (shown) plot.points([data.epoch[i]], [val[i]], colors.validation, { radius: 4 });
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
      ? `Training loss falls for all ${data.epochs} epochs, but validation loss is lowest at epoch ` +
        `${data.best.epoch} and then rises to ${formatLoss(data.final.val_loss)}.`
      : `Training loss over ${data.epochs} epochs, falling to ${formatLoss(data.final.train_loss)}.`);
    Object.assign(figure.dataset, { epoch: data.epoch[i], validation: shown ? "shown" : "hidden" });
  }

  toggle.addEventListener("change", draw);
  slider.addEventListener("input", draw);
  document.addEventListener("themechange", draw);
  new ResizeObserver(draw).observe(canvas);
  draw();
  return { draw, slider };
}
