// A small canvas plotting helper for the widgets: linear or log axes (and a log(epoch + 1)
// axis for training curves), lines, points, markers, labels. Colours come in from the
// caller at draw time (the mount helper reads them from the page), so a redraw after a
// theme change uses the new palette.

const FONT = "12px system-ui, sans-serif"; // every chart label: at least 12 CSS px

export class Plot {
  // xLogEpoch: the x axis is log10(x + 1), so epoch 0 has a place and early epochs room.
  // xTicks: the values to tick and label on x (categories, such as sample sizes), instead of
  // evenly spaced ones.
  constructor(canvas, { x, y, xLabel = "", yLabel = "", yLog = false, xLogEpoch = false, xTicks = null }) {
    this.xTickValues = xTicks;
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.x = x; this.y = y; this.yLog = yLog; this.xLogEpoch = xLogEpoch;
    this.xLabel = xLabel; this.yLabel = yLabel;
    this.margin = { left: 48, right: 10, top: 10, bottom: 36 };
  }

  // Match the backing store to the displayed size and the screen's pixel density.
  fit() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width; this.canvas.height = height;
    }
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.width = width / ratio; this.height = height / ratio;
  }

  px(x) {
    const { left, right } = this.margin;
    const f = this.xLogEpoch ? (v) => Math.log10(Math.max(v, 0) + 1) : (v) => v;
    return left + ((f(x) - f(this.x[0])) / (f(this.x[1]) - f(this.x[0]))) * (this.width - left - right);
  }

  // The data x under a pixel column (the inverse of px), for dragging on the chart.
  xAt(X) {
    const { left, right } = this.margin;
    const f = this.xLogEpoch ? (v) => Math.log10(Math.max(v, 0) + 1) : (v) => v;
    const t = (X - left) / (this.width - left - right);
    const v = f(this.x[0]) + Math.min(1, Math.max(0, t)) * (f(this.x[1]) - f(this.x[0]));
    return this.xLogEpoch ? 10 ** v - 1 : v;
  }

  py(y) {
    const { top, bottom } = this.margin;
    const v = this.yLog ? Math.log10(Math.max(y, 1e-12)) : y;
    const [lo, hi] = this.yLog ? [Math.log10(this.y[0]), Math.log10(this.y[1])] : this.y;
    return top + (1 - (v - lo) / (hi - lo)) * (this.height - top - bottom);
  }

  begin(colors) {
    this.fit();
    this.colors = colors;
    const ctx = this.ctx;
    ctx.fillStyle = colors.background;
    ctx.fillRect(0, 0, this.width, this.height);
    ctx.font = FONT;
    ctx.lineWidth = 1;
    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.muted;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const xTicks = this.xTickValues ?? (this.xLogEpoch ? epochTicks(this.x[0], this.x[1]) : ticks(this.x[0], this.x[1], 5));
    // A tick label that would touch the one before it (0 and 1 on a narrow log-epoch axis)
    // is left out; its grid line stays.
    let lastRight = -Infinity;
    for (const t of xTicks) {
      const p = this.px(t);
      line(ctx, p, this.margin.top, p, this.height - this.margin.bottom);
      const text = formatTick(t);
      const half = ctx.measureText(text).width / 2;
      if (p - half < lastRight + 6) continue;
      ctx.fillText(text, p, this.height - this.margin.bottom + 4);
      lastRight = p + half;
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const yTicks = this.yLog ? logTicks(this.y[0], this.y[1]) : ticks(this.y[0], this.y[1], 5);
    for (const t of yTicks) {
      const p = this.py(t);
      line(ctx, this.margin.left, p, this.width - this.margin.right, p);
      ctx.fillText(this.yLog ? formatLog(t) : formatTick(t), this.margin.left - 4, p);
    }
    ctx.strokeStyle = colors.border;
    ctx.strokeRect(this.margin.left, this.margin.top, this.width - this.margin.left - this.margin.right,
      this.height - this.margin.top - this.margin.bottom);
    ctx.fillStyle = colors.text;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(this.xLabel, (this.margin.left + this.width - this.margin.right) / 2, this.height - 1);
    ctx.save();
    ctx.translate(11, (this.margin.top + this.height - this.margin.bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(this.yLabel, 0, 0);
    ctx.restore();
    // Everything after this is clipped to the plotting area.
    ctx.save();
    ctx.beginPath();
    ctx.rect(this.margin.left, this.margin.top, this.width - this.margin.left - this.margin.right,
      this.height - this.margin.top - this.margin.bottom);
    ctx.clip();
  }

  end() { this.ctx.restore(); }

  line(xs, ys, color, { width = 2, dash = [] } = {}) {
    const ctx = this.ctx;
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash);
    ctx.beginPath();
    for (let i = 0; i < xs.length; i++) {
      const X = this.px(xs[i]), Y = this.py(ys[i]);
      if (i === 0) ctx.moveTo(X, Y); else ctx.lineTo(X, Y);
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }

  points(xs, ys, color, { filled = true, radius = 3.5 } = {}) {
    const ctx = this.ctx;
    ctx.lineWidth = 1.5;
    for (let i = 0; i < xs.length; i++) {
      ctx.beginPath();
      ctx.arc(this.px(xs[i]), this.py(ys[i]), radius, 0, 2 * Math.PI);
      if (filled) { ctx.fillStyle = color; ctx.fill(); } else { ctx.strokeStyle = color; ctx.stroke(); }
    }
  }

  // An arrow between two data points, head at the second.
  arrow(x0, y0, x1, y1, color, { width = 2 } = {}) {
    const ctx = this.ctx;
    const [X0, Y0, X1, Y1] = [this.px(x0), this.py(y0), this.px(x1), this.py(y1)];
    const angle = Math.atan2(Y1 - Y0, X1 - X0);
    const head = Math.min(9, Math.hypot(X1 - X0, Y1 - Y0));
    ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = width;
    line(ctx, X0, Y0, X1, Y1);
    ctx.beginPath();
    ctx.moveTo(X1, Y1);
    ctx.lineTo(X1 - head * Math.cos(angle - 0.45), Y1 - head * Math.sin(angle - 0.45));
    ctx.lineTo(X1 - head * Math.cos(angle + 0.45), Y1 - head * Math.sin(angle + 0.45));
    ctx.closePath();
    ctx.fill();
  }

  // A short label next to a data point.
  label(x, y, text, color, { align = "left", dx = 6, dy = -6 } = {}) {
    const ctx = this.ctx;
    ctx.fillStyle = color; ctx.font = FONT;
    ctx.textAlign = align; ctx.textBaseline = "bottom";
    ctx.fillText(text, this.px(x) + dx, this.py(y) + dy);
  }

  // A label along the top edge of the plot, beside the vertical line at x: on its right
  // if it fits there, else on its left. Kept off the curves, which a caller keeps low.
  topLabel(x, text, color) {
    const ctx = this.ctx;
    ctx.font = FONT;
    const X = this.px(x);
    const room = this.width - this.margin.right - X;
    const right = ctx.measureText(text).width + 10 <= room;
    ctx.fillStyle = color;
    ctx.textAlign = right ? "left" : "right";
    ctx.textBaseline = "top";
    ctx.fillText(text, right ? X + 5 : X - 5, this.margin.top + 4);
  }

  // A series' name written at the end of its line, in its colour: a direct label the eye
  // does not have to match to a legend. Nudged apart from `avoid` (pixel y of labels drawn).
  // Given the series ({ xs, ys }), the label sits just above every point of it under the
  // label's width, so a jagged curve's last spikes do not run through the text.
  endLabel(x, y, text, color, avoid = [], series = null) {
    const ctx = this.ctx;
    ctx.font = FONT;
    let Y = this.py(y);
    if (series) {
      const right = Math.min(this.px(x), this.width - this.margin.right) - 4;
      const left = right - ctx.measureText(text).width - 4;
      series.xs.forEach((sx, i) => {
        const X = this.px(sx);
        if (X >= left && X <= right + 4) Y = Math.min(Y, this.py(series.ys[i]) - 2);
      });
    }
    for (const other of avoid) if (Math.abs(other - Y) < 15) Y = other + (Y >= other ? 15 : -15);
    Y = Math.min(this.height - this.margin.bottom - 8, Math.max(this.margin.top + 8, Y));
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    const X = Math.min(this.px(x), this.width - this.margin.right) - 4;
    // A halo in the background colour keeps the label legible over a busy curve.
    ctx.strokeStyle = this.colors.background; ctx.lineWidth = 4; ctx.lineJoin = "round";
    ctx.strokeText(text, X, Y - 3);
    ctx.fillStyle = color;
    ctx.fillText(text, X, Y - 3);
    return Y;
  }

  vline(x, color, { dash = [], width = 1.5 } = {}) {
    const ctx = this.ctx;
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash);
    const X = this.px(x);
    line(ctx, X, this.margin.top, X, this.height - this.margin.bottom);
    ctx.setLineDash([]);
  }
}

// Direct manipulation: pressing on `canvas` and dragging calls onPoint(x, y) with the
// pointer's position in CSS pixels inside the canvas, for each move until release.
// Works with mouse, pen and touch; while dragging, a touch moves the figure, not the page.
export function draggable(canvas, onPoint) {
  canvas.classList.add("draggable");
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    onPoint(event.clientX - box.left, event.clientY - box.top);
  };
  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture(event.pointerId);
    at(event);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (canvas.hasPointerCapture(event.pointerId)) at(event);
  });
}

// Sets a range slider as the reader would, so its own listeners (redraw, stop playing) run.
export function setSlider(slider, value) {
  const clamped = Math.min(Number(slider.max), Math.max(Number(slider.min), value));
  if (Number(slider.value) === clamped) return;
  slider.value = String(clamped);
  slider.dispatchEvent(new Event("input", { bubbles: true }));
}

// A signed number for an equation: "+ 0.5" or "− 0.5" (a true minus), never "+ -0.5".
export function signed(v, digits = 1) {
  const text = Math.abs(v).toFixed(digits);
  return Number(text) === 0 ? `+ ${text}` : v < 0 ? `− ${text}` : `+ ${text}`;
}

// A number with a true minus sign: "−1.5", not "-1.5".
export function minus(v, digits = 1) {
  const text = Math.abs(v).toFixed(digits);
  return (v < 0 && Number(text) !== 0 ? "−" : "") + text;
}

function line(ctx, x0, y0, x1, y1) {
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
}

export function ticks(lo, hi, count) {
  const span = hi - lo;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => span / s <= count) || raw;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

// 0, 1, 10, 100, ... within [lo, hi]: the ticks of a log(epoch + 1) axis.
function epochTicks(lo, hi) {
  const out = lo <= 0 ? [0] : [];
  for (let t = 1; t <= hi; t *= 10) if (t >= lo) out.push(t);
  return out;
}

function logTicks(lo, hi) {
  const out = [];
  for (let p = Math.ceil(Math.log10(lo)); p <= Math.floor(Math.log10(hi)); p++) out.push(10 ** p);
  return out;
}

function formatTick(t) {
  return Math.abs(t) >= 1000 ? `${t / 1000}k` : String(Number(t.toPrecision(3)));
}

function formatLog(t) {
  const p = Math.round(Math.log10(t));
  return p >= -2 && p <= 2 ? String(Number(t.toPrecision(1))) : `1e${p}`;
}

export function formatLoss(v) {
  return v >= 0.01 ? v.toFixed(3) : v.toExponential(2);
}

// Four significant digits for readouts, with a true minus sign; exact values go in data-*
// attributes.
export function formatNumber(v) {
  const text = v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3) ? v.toExponential(3)
    : String(Number(v.toPrecision(4)));
  return text.replace(/^-/, "−");
}
