// A minimal line chart on a canvas: one or more series of (x, y) points, axes scaled to the data,
// redrawn whole on every update (a few thousand points at most, so that costs nothing).

export function createLineChart(canvas, { series, xLabel = "", yMin } = {}) {
  const ctx = canvas.getContext("2d");
  const data = Object.fromEntries(series.map((s) => [s.name, []]));

  function draw() {
    const { width: w, height: h } = canvas;
    const pad = { left: 44, right: 10, top: 10, bottom: 26 };
    ctx.clearRect(0, 0, w, h);
    const all = Object.values(data).flat();
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#666";
    if (all.length === 0) {
      ctx.fillText("no data yet", pad.left, h / 2);
      return;
    }
    const x1 = Math.max(...all.map((p) => p.x), 1e-9);
    const y0 = yMin ?? Math.min(...all.map((p) => p.y));
    const y1 = Math.max(...all.map((p) => p.y), y0 + 1e-9);
    const sx = (x) => pad.left + (x / x1) * (w - pad.left - pad.right);
    const sy = (y) => h - pad.bottom - ((y - y0) / (y1 - y0)) * (h - pad.top - pad.bottom);
    ctx.strokeStyle = "#ccc";
    ctx.beginPath();
    ctx.moveTo(pad.left, pad.top);
    ctx.lineTo(pad.left, h - pad.bottom);
    ctx.lineTo(w - pad.right, h - pad.bottom);
    ctx.stroke();
    ctx.fillText(y1.toPrecision(3), 2, pad.top + 8);
    ctx.fillText(y0.toPrecision(3), 2, h - pad.bottom);
    ctx.fillText(`${xLabel} ${Math.round(x1)}`, w - pad.right - 70, h - 8);
    for (const s of series) {
      const points = data[s.name];
      if (points.length === 0) continue;
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.beginPath();
      points.forEach((p, i) => (i === 0 ? ctx.moveTo(sx(p.x), sy(p.y)) : ctx.lineTo(sx(p.x), sy(p.y))));
      ctx.stroke();
      if (s.dots) for (const p of points) ctx.fillRect(sx(p.x) - 2, sy(p.y) - 2, 4, 4);
    }
  }

  draw();
  return {
    add(name, x, y) {
      data[name].push({ x, y });
      draw();
    },
    reset() {
      for (const k of Object.keys(data)) data[k] = [];
      draw();
    },
  };
}
