// A small canvas plotting helper for the widgets: linear or log axes, lines, points,
// markers. Colours are read from the page's CSS custom properties at draw time, so a
// redraw after a theme change picks up the new palette.

export function palette() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(`--${name}`).trim();
  return {
    background: read("background"), text: read("text"), muted: read("muted"), grid: read("grid"),
    border: read("border"), train: read("train"), validation: read("validation"), model: read("model"),
    truth: read("truth"), highlight: read("highlight"), accent: read("accent"),
  };
}

export function decodeDeltas(deltas, step) {
  const out = new Array(deltas.length);
  let total = 0;
  for (let i = 0; i < deltas.length; i++) { total += deltas[i]; out[i] = total * step; }
  return out;
}

export class Plot {
  constructor(canvas, { x, y, xLabel = "", yLabel = "", yLog = false }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.x = x; this.y = y; this.yLog = yLog;
    this.xLabel = xLabel; this.yLabel = yLabel;
    this.margin = { left: 46, right: 10, top: 10, bottom: 34 };
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
    return left + ((x - this.x[0]) / (this.x[1] - this.x[0])) * (this.width - left - right);
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
    ctx.font = "11px system-ui, sans-serif";
    ctx.lineWidth = 1;
    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.muted;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of ticks(this.x[0], this.x[1], 5)) {
      const p = this.px(t);
      line(ctx, p, this.margin.top, p, this.height - this.margin.bottom);
      ctx.fillText(formatTick(t), p, this.height - this.margin.bottom + 4);
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
    ctx.fillStyle = color; ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = align; ctx.textBaseline = "bottom";
    ctx.fillText(text, this.px(x) + dx, this.py(y) + dy);
  }

  vline(x, color, { dash = [], width = 1.5 } = {}) {
    const ctx = this.ctx;
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash);
    const X = this.px(x);
    line(ctx, X, this.margin.top, X, this.height - this.margin.bottom);
    ctx.setLineDash([]);
  }
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

// Four significant digits for readouts; exact values go in data-* attributes.
export function formatNumber(v) {
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

// Paint each legend swatch in its token's current colour.
export function paintSwatches(container, colors) {
  for (const swatch of container.querySelectorAll(".swatch")) swatch.style.background = colors[swatch.dataset.token];
}

// Play/pause for a range slider: each tick moves it one notch and redraws; it stops at
// the end, and the reader dragging the slider stops it too. The button's text says what
// a press will do, so it carries no aria-pressed (that would announce the state twice).
export function playThrough(button, slider, draw, intervalMs) {
  let timer = null;
  const atEnd = () => Number(slider.value) >= Number(slider.max);
  function stop() {
    clearInterval(timer);
    timer = null;
    button.textContent = "Play";
  }
  function play() {
    if (atEnd()) slider.value = slider.min;
    button.textContent = "Pause";
    timer = setInterval(() => {
      slider.value = String(Math.min(Number(slider.max), Number(slider.value) + 1));
      draw();
      if (atEnd()) stop();
    }, intervalMs);
  }
  button.addEventListener("click", () => (timer ? stop() : play()));
  slider.addEventListener("input", () => { if (timer) stop(); draw(); });
  return { stop };
}
