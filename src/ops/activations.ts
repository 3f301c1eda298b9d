// Activation functions: the one vocabulary, mirroring assembly/activations.ts. Every activation has a name
// (Activation), a kernel code (ACT_CODE, the `act` of gemm_bias_act_f32, so any of them can be a GEMM
// epilogue), an elementwise op and a backward op. The backward passes of relu, sigmoid and tanh take the
// saved forward OUTPUT y, as the tutorial's relu_derivative does; GELU's output does not determine its
// input, so its backward takes the forward INPUT (the pre-activation) instead.

import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import { sameShape } from "../runtime/shape.js";
import type { Tensor } from "../runtime/tensor.js";
import { backendOf, output, requireInPlaceOrDisjoint, requireNoOverlap, requireRank } from "./checks.js";
import type { OutOption } from "./elementwise.js";

export type Activation = "linear" | "relu" | "sigmoid" | "tanh" | "gelu";
export const ACTIVATIONS: readonly Activation[] = ["linear", "relu", "sigmoid", "tanh", "gelu"];

/** Kernel codes (assembly/activations.ts ACT_*). */
export const ACT_CODE: Readonly<Record<Activation, number>> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3, gelu: 4 };

/** Activations whose backward needs the forward input (the pre-activation) rather than the output. */
export function needsPreActivation(activation: Activation): boolean {
  return activation === "gelu";
}

export function checkActivation(op: string, activation: string): asserts activation is Activation {
  if (!(ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new ArgumentError(`${op}: unknown activation "${activation}" (choose ${ACTIVATIONS.join(", ")})`);
  }
}

// ---- elementwise ----

type UnaryKernel = "relu_f32" | "sigmoid_f32" | "tanh_f32" | "exp_f32" | "gelu_f32";
type BackwardKernel = "relu_backward_f32" | "sigmoid_backward_f32" | "tanh_backward_f32" | "gelu_backward_f32";

function unary(op: string, kernel: UnaryKernel, x: Tensor, opts: OutOption): Tensor {
  const backend = backendOf(op, x);
  const out = output(op, backend, x.shape, opts.out);
  // Each element is read before the same element is written: in place works, a shifted view does not.
  if (opts.out) requireInPlaceOrDisjoint(op, out, { x });
  backend.kernels[kernel](x.size, x.ptr, out.ptr);
  return out;
}

/** `saved` is the forward output y, or the forward input x for GELU; `what` names it in errors. */
function backward(op: string, kernel: BackwardKernel, saved: Tensor, dy: Tensor, opts: OutOption, what = "output"): Tensor {
  const backend = backendOf(op, saved, dy);
  if (!sameShape(saved.shape, dy.shape)) {
    throw new ShapeError(`${op}: ${what} ${formatShape(saved.shape)} and its gradient ${formatShape(dy.shape)} differ in shape`);
  }
  const dx = output(op, backend, saved.shape, opts.out);
  if (opts.out) requireInPlaceOrDisjoint(op, dx, { [what === "output" ? "y" : what === "input" ? "x" : what]: saved, dy });
  backend.kernels[kernel](saved.size, saved.ptr, dy.ptr, dx.ptr);
  return dx;
}

/** max(0, x). */
export const relu = (x: Tensor, opts: OutOption = {}): Tensor => unary("relu", "relu_f32", x, opts);
/** 1 / (1 + e^−x), stable for large |x|. */
export const sigmoid = (x: Tensor, opts: OutOption = {}): Tensor => unary("sigmoid", "sigmoid_f32", x, opts);
export const tanh = (x: Tensor, opts: OutOption = {}): Tensor => unary("tanh", "tanh_f32", x, opts);
export const exp = (x: Tensor, opts: OutOption = {}): Tensor => unary("exp", "exp_f32", x, opts);
/** GPT-2's tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), any shape. `out` may be x. */
export const gelu = (x: Tensor, opts: OutOption = {}): Tensor => unary("gelu", "gelu_f32", x, opts);

/** dx = dy where the forward output y > 0, else 0. */
export const reluBackward = (y: Tensor, dy: Tensor, opts: OutOption = {}): Tensor =>
  backward("reluBackward", "relu_backward_f32", y, dy, opts);
/** dx = dy·y·(1 − y), y the sigmoid output. */
export const sigmoidBackward = (y: Tensor, dy: Tensor, opts: OutOption = {}): Tensor =>
  backward("sigmoidBackward", "sigmoid_backward_f32", y, dy, opts);
/** dx = dy·(1 − y²), y the tanh output. */
export const tanhBackward = (y: Tensor, dy: Tensor, opts: OutOption = {}): Tensor =>
  backward("tanhBackward", "tanh_backward_f32", y, dy, opts);
/** dx = dy·gelu'(x), x the forward INPUT (same shape as dy). `out` may be dy or x. */
export const geluBackward = (x: Tensor, dy: Tensor, opts: OutOption = {}): Tensor =>
  backward("geluBackward", "gelu_backward_f32", x, dy, opts, "input");

const FORWARD: Record<Exclude<Activation, "linear">, (x: Tensor, opts: OutOption) => Tensor> = { relu, sigmoid, tanh, gelu };

// ---- with a bias row: the dense-layer epilogue outside a GEMM ----

export function checkBias(op: string, bias: Tensor, n: number, of: string): void {
  if (bias.size !== n || bias.rank > 2 || (bias.rank === 2 && bias.shape[0] !== 1)) {
    throw new ShapeError(`${op}: bias ${formatShape(bias.shape)} does not match the ${n} columns of ${of} (need [1,${n}] or [${n}])`);
  }
}

/** out = activation(x + bias) for x [m, n] and bias [1, n] or [n]. `out` may be x; it must not overlap bias. */
export function addBias(x: Tensor, bias: Tensor, options: OutOption & { activation?: Activation } = {}): Tensor {
  const op = "addBias";
  const backend = backendOf(op, x, bias);
  const { activation = "linear" } = options;
  checkActivation(op, activation);
  requireRank(op, "x", x, [2]);
  const [m, n] = x.shape as [number, number];
  checkBias(op, bias, n, `x ${formatShape(x.shape)}`);
  const out = output(op, backend, x.shape, options.out);
  if (options.out) {
    requireInPlaceOrDisjoint(op, out, { x });
    requireNoOverlap(op, out, { bias });
  }
  const k = backend.kernels;
  if (activation === "relu") k.bias_relu_f32(m, n, x.ptr, n, bias.ptr, out.ptr, n);
  else if (activation === "sigmoid") k.bias_sigmoid_f32(m, n, x.ptr, n, bias.ptr, out.ptr, n);
  else {
    k.add_row_f32(m, n, x.ptr, n, bias.ptr, out.ptr, n);
    if (activation !== "linear") FORWARD[activation](out, { out });
  }
  return out;
}

/**
 * dz = dy · activation'(z). From the activation's saved output y — except GELU, which needs the pre-activation
 * z itself: pass it as `preActivation` (linear() keeps it when asked). `out` may be dy.
 */
export function activationBackward(activation: Activation, y: Tensor, dy: Tensor, options: OutOption & { preActivation?: Tensor } = {}): Tensor {
  const op = "activationBackward";
  checkActivation(op, activation);
  if (needsPreActivation(activation)) {
    const z = options.preActivation;
    if (!z) throw new ArgumentError(`${op}: ${activation}'s derivative needs the pre-activation (options.preActivation); its output does not determine it`);
    return backward(op, "gelu_backward_f32", z, dy, options, "pre-activation");
  }
  const backend = backendOf(op, y, dy);
  if (y.size !== dy.size) throw new ShapeError(`${op}: output ${formatShape(y.shape)} and gradient ${formatShape(dy.shape)} differ in size`);
  const out = output(op, backend, dy.shape, options.out);
  if (options.out) requireInPlaceOrDisjoint(op, out, { y, dy });
  const k = backend.kernels;
  const n = y.size;
  if (activation === "relu") k.relu_backward_f32(n, y.ptr, dy.ptr, out.ptr);
  else if (activation === "sigmoid") k.sigmoid_backward_f32(n, y.ptr, dy.ptr, out.ptr);
  else if (activation === "tanh") k.tanh_backward_f32(n, y.ptr, dy.ptr, out.ptr);
  else if (out !== dy) k.scale_f32(n, 1, dy.ptr, out.ptr);
  return out;
}
