// Test accuracy of both networks as the test digits move by up to three pixels, along the
// axis the reader picks, with the share of ink the move pushes off the frame as bars.

export function mount(w) {
  const { Plot } = w.chart;
  const data = w.data;
  const uid = w.id;
  const tokens = ["validation", "train"];
  w.element.innerHTML = `
    <canvas class="sa-canvas" role="img" width="640" height="320"></canvas>
    <ul class="legend">${data.networks.map((net, k) =>
      `<li><span class="swatch" data-token="${tokens[k]}"></span>${net.name} (${net.params.toLocaleString("en")} parameters)</li>`).join("")}
      <li><span class="swatch" data-token="muted"></span>share of ink pushed off the frame</li></ul>
    <div class="widget-controls">
      <label for="${uid}-axis">Direction</label>
      <select id="${uid}-axis"><option value="horizontal">right (+) and left (−)</option>
        <option value="vertical">down (+) and up (−)</option></select>
      <label for="${uid}-shift">Shift</label>
      <input id="${uid}-shift" type="range" min="${data.shifts[0]}" max="${data.shifts[data.shifts.length - 1]}" step="1" value="1">
    </div>
    <p class="widget-readout" aria-live="polite"></p>`;
  const canvas = w.element.querySelector("canvas");
  const select = w.element.querySelector("select");
  const slider = w.element.querySelector("input");
  select.value = data.axis;
  select.addEventListener("change", () => w.redraw());
  slider.addEventListener("input", () => w.redraw());
  const lo = data.shifts[0];
  const hi = data.shifts[data.shifts.length - 1];
  const plot = new Plot(canvas, { x: [lo - 0.5, hi + 0.5], y: [0, 1], xLabel: "shift in pixels", yLabel: "test accuracy" });

  function draw(colors) {
    const axis = select.value;
    const s = Number(slider.value);
    const at = data.shifts.indexOf(s);
    plot.begin(colors);
    data.shifts.forEach((shift, k) => {
      const loss = data.ink_lost[axis][k];
      if (loss > 0) plot.line([shift, shift], [0, loss], colors.muted, { width: 14 });
    });
    data.networks.forEach((net, k) => {
      plot.line(data.shifts, net[axis], colors[tokens[k]], { width: 2.5 });
      plot.points(data.shifts, net[axis], colors[tokens[k]], { radius: 4 });
    });
    plot.vline(s, colors.highlight, { width: 1.5, dash: [5, 4] });
    plot.end();
    const where = axis === "horizontal" ? (s >= 0 ? "right" : "left") : (s >= 0 ? "down" : "up");
    const text = `Moved ${Math.abs(s)} pixel${Math.abs(s) === 1 ? "" : "s"} ${where}: ` +
      data.networks.map((net) => `${net.name} ${(100 * net[axis][at]).toFixed(1)}%`).join(", ") +
      `; ${(100 * data.ink_lost[axis][at]).toFixed(1)}% of the ink is pushed off the frame.`;
    w.element.querySelector(".widget-readout").textContent = text;
    canvas.setAttribute("aria-label", `Test accuracy of both networks against a ${axis} shift. ${text}`);
    slider.setAttribute("aria-valuetext", `${s} pixels`);
    w.figure.dataset.axis = axis;
    w.figure.dataset.shift = String(s);
  }
  return draw;
}
