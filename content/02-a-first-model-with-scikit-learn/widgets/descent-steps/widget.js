// Gradient descent on raw against standardised columns, on log-log axes: slide (or play)
// through the steps and watch one run finish while the other crawls along the valley.
// Mounted by static/js/mount.js, which hands it `w` (see there).

export function mount(w) {
  const { Plot } = w.chart;
  const data = w.data;
  const container = w.element;
  const uid = w.id;
  const raw = data.raw, scaled = data.scaled;
  const steps = raw.step;           // the recorded steps, log-spaced: the slider walks these
  const last = steps.length - 1;
  container.innerHTML = `
    <canvas class="descent-canvas" role="img" width="640" height="300"></canvas>
    <ul class="legend">
      <li><span class="swatch" data-token="validation"></span>raw columns</li>
      <li><span class="swatch" data-token="train"></span>standardised columns</li>
      <li><span class="swatch" data-token="muted"></span>within ${Math.round(data.tolerance * 100)}% of the best loss</li>
    </ul>
    <div class="widget-controls">
      <button type="button" class="widget-button play">Play</button>
      <label for="${uid}-step">Step</label>
      <input id="${uid}-step" class="step-slider" type="range" min="0" max="${last}" step="1" value="0">
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;

  const canvas = container.querySelector(".descent-canvas");
  const slider = container.querySelector(".step-slider");
  const readout = container.querySelector(".widget-readout");
  const every = [...raw.excess, ...scaled.excess];
  const plot = new Plot(canvas, {
    x: [0, steps[last] * 1.5], y: [Math.min(...every) / 2, 10 ** Math.ceil(Math.log10(Math.max(...every)))],
    xLabel: "step (log scale)", yLabel: "loss / best loss − 1", yLog: true, xLogEpoch: true,
  });
  const count = (n) => n.toLocaleString("en");
  const percent = (v) => (v >= 0.1 ? `${(v * 100).toFixed(0)}%` : `${(v * 100).toFixed(1)}%`);

  // The run's excess loss at `step`: the last recorded value at or before it.
  function at(side, step) {
    let k = 0;
    while (k + 1 < side.step.length && side.step[k + 1] <= step) k++;
    return { index: k, excess: side.excess[k], done: side.step[k] >= side.steps_to_tolerance };
  }

  function draw(colors) {
    const step = steps[Number(slider.value)];
    plot.begin(colors);
    plot.line(plot.x, [data.tolerance, data.tolerance], colors.muted, { width: 1.5, dash: [6, 4] });
    for (const [side, colour] of [[raw, colors.validation], [scaled, colors.train]]) {
      const here = at(side, step);
      plot.line(side.step, side.excess, colour, { width: 1, dash: [2, 3] });
      plot.line(side.step.slice(0, here.index + 1), side.excess.slice(0, here.index + 1), colour, { width: 2.5 });
      plot.vline(side.steps_to_tolerance, colour, { dash: [2, 4], width: 1 });
      plot.points([side.step[here.index]], [here.excess], colour, { radius: 6 });
    }
    plot.end();

    const r = at(raw, step), s = at(scaled, step);
    const line = (name, side, here) => here.done
      ? `${name} reached the tolerance at step ${count(side.steps_to_tolerance)}`
      : `${name} are ${percent(here.excess)} above the best loss`;
    readout.textContent = `Step ${count(step)}: ${line("standardised columns", scaled, s)}; ` +
      `${line("raw columns", raw, r)}. Condition numbers: ${scaled.condition} standardised, ` +
      `${count(Math.round(raw.condition))} raw.`;
    slider.setAttribute("aria-valuetext", `step ${count(step)}`);
    canvas.setAttribute("aria-label", `Excess loss against the step on log scales: standardised columns reach ` +
      `the tolerance after ${count(scaled.steps_to_tolerance)} steps, raw columns after ` +
      `${count(raw.steps_to_tolerance)} steps.`);
    Object.assign(w.figure.dataset, { step, rawDone: r.done, scaledDone: s.done });
  }

  w.player(container.querySelector(".play"), slider, 60);
  return draw;
}
