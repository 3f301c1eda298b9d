// A canvas to draw a digit on with a mouse, a pen or a finger (pointer events cover all three;
// `touch-action: none` in the CSS keeps a finger from scrolling the page instead). White ink on
// black, as MNIST stores digits. Calls onChange after every stroke segment, at most once a frame.

const INK_WIDTH_FRACTION = 0.075; // of the canvas side: a 20 px box then holds a 1.5–2 px stroke, as in MNIST

export function createDrawPad(canvas, onChange) {
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  let last = null;
  let scheduled = false;

  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  const changed = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      onChange();
    });
  };
  // Pointer position in canvas pixels (the canvas may be displayed at another size).
  const at = (event) => {
    const r = canvas.getBoundingClientRect();
    return { x: ((event.clientX - r.left) * canvas.width) / r.width, y: ((event.clientY - r.top) * canvas.height) / r.height };
  };
  const pen = canvas.width * INK_WIDTH_FRACTION;
  const segment = (from, to) => {
    ctx.fillStyle = ctx.strokeStyle = "#fff";
    ctx.beginPath();
    if (from.x === to.x && from.y === to.y) {
      // Canvas drops zero-length lines, round caps and all: a tap is a filled disc.
      ctx.arc(from.x, from.y, pen / 2, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.lineWidth = pen;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.moveTo(from.x, from.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
    }
    changed();
  };

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture?.(event.pointerId);
    last = at(event);
    segment(last, last); // a tap leaves a dot
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    const p = at(event);
    segment(last, p);
    last = p;
  });
  const end = () => (last = null);
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  canvas.dataset.penWidth = String(pen); // for tests that draw
  clear();
  return {
    clear: () => {
      clear();
      changed();
    },
    /** The drawing as intensities in [0, 1] (the red channel of white-on-black). */
    gray: () => {
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const gray = new Float32Array(canvas.width * canvas.height);
      for (let i = 0; i < gray.length; i++) gray[i] = data[4 * i] / 255;
      return gray;
    },
  };
}
