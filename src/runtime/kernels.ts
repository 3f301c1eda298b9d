// The Wasm module's exports as the host sees them: the raw-pointer ABI of assembly/index.ts.
// Pointers are byte offsets into the backend's memory; sizes are element counts.
// Keep in step with assembly/*.ts: REQUIRED_EXPORTS is checked when a module is instantiated, so a
// stale build fails at init with a clear message instead of at the first call.

type Ptr = number;

export interface Kernels {
  heap_base(): Ptr;

  // blas.ts
  dot_f32(n: number, x: Ptr, y: Ptr): number;
  axpy_f32(n: number, alpha: number, x: Ptr, y: Ptr): void;
  scale_f32(n: number, alpha: number, x: Ptr, out: Ptr): void;
  fill_f32(n: number, value: number, out: Ptr): void;
  add_f32(n: number, a: Ptr, b: Ptr, out: Ptr): void;
  sub_f32(n: number, a: Ptr, b: Ptr, out: Ptr): void;
  mul_f32(n: number, a: Ptr, b: Ptr, out: Ptr): void;
  sum_f32(n: number, x: Ptr): number;
  max_f32(n: number, x: Ptr): number;
  add_row_f32(m: number, n: number, x: Ptr, ldx: number, row: Ptr, out: Ptr, ldo: number): void;
  sum_rows_f32(m: number, n: number, x: Ptr, ldx: number, out: Ptr): void;

  // gemm.ts: C = alpha·op(A)·op(B) + beta·C
  gemm_f32(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: Ptr, lda: number, b: Ptr, ldb: number, beta: number, c: Ptr, ldc: number, scratch: Ptr,
  ): void;
  /**
   * The fused Dense forward: C = act(op(A)·op(B) + bias); act 0 linear, 1 relu, 2 sigmoid, 3 tanh, 4 gelu; bias
   * 0 = none; pre (0 = none) receives the pre-activation with row stride ldc.
   */
  gemm_bias_act_f32(
    transA: number, transB: number, m: number, n: number, k: number,
    a: Ptr, lda: number, b: Ptr, ldb: number, bias: Ptr, act: number, c: Ptr, ldc: number, scratch: Ptr, pre: Ptr,
  ): void;
  gemm_ref_f32(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: Ptr, lda: number, b: Ptr, ldb: number, beta: number, c: Ptr, ldc: number,
  ): void;
  gemm_scratch_bytes(): number;

  // vmath.ts, activations.ts
  exp_f32(n: number, x: Ptr, out: Ptr): void;
  tanh_f32(n: number, x: Ptr, out: Ptr): void;
  relu_f32(n: number, x: Ptr, out: Ptr): void;
  relu_backward_f32(n: number, y: Ptr, dy: Ptr, dx: Ptr): void;
  sigmoid_f32(n: number, x: Ptr, out: Ptr): void;
  sigmoid_backward_f32(n: number, y: Ptr, dy: Ptr, dx: Ptr): void;
  tanh_backward_f32(n: number, y: Ptr, dy: Ptr, dx: Ptr): void;
  bias_relu_f32(m: number, n: number, x: Ptr, ldx: number, bias: Ptr, out: Ptr, ldo: number): void;
  bias_sigmoid_f32(m: number, n: number, x: Ptr, ldx: number, bias: Ptr, out: Ptr, ldo: number): void;

  // softmax.ts
  softmax_f32(rows: number, cols: number, x: Ptr, ldx: number, out: Ptr, ldo: number, invTemperature: number, causal: number): void;
  log_softmax_f32(rows: number, cols: number, x: Ptr, ldx: number, out: Ptr, ldo: number, invTemperature: number, causal: number): void;
  softmax_backward_f32(rows: number, cols: number, y: Ptr, ldy: number, dy: Ptr, lddy: number, dx: Ptr, lddx: number): void;

  // attention.ts: heads laid out [h, T, d]
  attention_f32(
    h: number, tq: number, tk: number, d: number, q: Ptr, k: Ptr, v: Ptr, out: Ptr,
    scale: number, causal: number, lse: Ptr, scratch: Ptr,
  ): void;
  attention_scratch_bytes(tk: number, d: number): number;
  attention_scores_f32(h: number, tq: number, tk: number, d: number, q: Ptr, k: Ptr, out: Ptr, scale: number, causal: number): void;
  // attention.ts: token-major rows, all heads in one call (e.g. Q, K, V read from a fused [B·T, 3·h·d] projection)
  attention_rows_f32(
    b: number, h: number, tq: number, tk: number, d: number, q: Ptr, ldq: number, k: Ptr, ldk: number, v: Ptr, ldv: number,
    out: Ptr, ldo: number, scale: number, causal: number, lse: Ptr, scratch: Ptr,
  ): void;
  attention_rows_scratch_bytes(tk: number, d: number): number;

  // loss.ts
  mse_f32(n: number, a: Ptr, y: Ptr): number;
  mse_backward_f32(n: number, a: Ptr, y: Ptr, scale: number, dx: Ptr): void;
  softmax_xent_f32(rows: number, cols: number, logits: Ptr, targets: Ptr, dlogits: Ptr, gradScale: number): number;
  softmax_xent_index_f32(rows: number, cols: number, logits: Ptr, labels: Ptr, dlogits: Ptr, gradScale: number, ignoreIndex: number): number;
  argmax_rows_f32(rows: number, cols: number, x: Ptr, out: Ptr): void;

  // layout.ts: [B,T,H,D] ⇄ [B,H,T,D]
  split_heads_f32(b: number, t: number, h: number, d: number, src: Ptr, srcStride: number, dst: Ptr): void;
  merge_heads_f32(b: number, t: number, h: number, d: number, src: Ptr, dst: Ptr, dstStride: number): void;

  // optim.ts
  sgd_f32(n: number, lr: number, grad: Ptr, param: Ptr): void;
  sgd_momentum_f32(n: number, lr: number, momentum: number, grad: Ptr, velocity: Ptr, param: Ptr): void;
  adam_f32(
    n: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number,
    bias1: number, bias2: number, grad: Ptr, m: Ptr, v: Ptr, param: Ptr,
  ): void;
  sum_squares_f32(n: number, x: Ptr): number;
  all_finite_f32(n: number, x: Ptr): number;

  // activations.ts: GELU (tanh approximation); the backward takes the forward input x
  gelu_f32(n: number, x: Ptr, out: Ptr): void;
  gelu_backward_f32(n: number, x: Ptr, dy: Ptr, dx: Ptr): void;

  // norm.ts: layer normalization over the last axis; mean/rstd [rows] (0 = don't save)
  layernorm_f32(
    rows: number, cols: number, x: Ptr, gamma: Ptr, beta: Ptr, out: Ptr, mean: Ptr, rstd: Ptr, eps: number,
  ): void;
  layernorm_backward_f32(
    rows: number, cols: number, dy: Ptr, x: Ptr, gamma: Ptr, mean: Ptr, rstd: Ptr, dx: Ptr, dgamma: Ptr, dbeta: Ptr,
  ): void;

  // embedding.ts: ids are i32; rows with ids outside [0, vocab) are zero (forward) or skipped (backward)
  embedding_f32(n: number, ids: Ptr, table: Ptr, d: number, vocab: number, out: Ptr): void;
  embedding_backward_f32(n: number, ids: Ptr, dout: Ptr, d: number, vocab: number, dtable: Ptr): void;

  // attention.ts, backward from the forward's saved out and lse; dq/dk/dv overwritten
  attention_backward_f32(
    h: number, tq: number, tk: number, d: number, q: Ptr, k: Ptr, v: Ptr, out: Ptr, dout: Ptr, lse: Ptr,
    dq: Ptr, dk: Ptr, dv: Ptr, scale: number, causal: number, scratch: Ptr,
  ): void;
  attention_backward_scratch_bytes(tq: number, tk: number, d: number): number;
}

export const REQUIRED_EXPORTS: readonly (keyof Kernels)[] = [
  "heap_base",
  "dot_f32", "axpy_f32", "scale_f32", "fill_f32", "add_f32", "sub_f32", "mul_f32", "sum_f32", "max_f32",
  "add_row_f32", "sum_rows_f32",
  "gemm_f32", "gemm_bias_act_f32", "gemm_ref_f32", "gemm_scratch_bytes",
  "exp_f32", "tanh_f32", "relu_f32", "relu_backward_f32", "sigmoid_f32", "sigmoid_backward_f32",
  "tanh_backward_f32", "bias_relu_f32", "bias_sigmoid_f32",
  "softmax_f32", "log_softmax_f32", "softmax_backward_f32",
  "attention_f32", "attention_scratch_bytes", "attention_scores_f32", "attention_rows_f32", "attention_rows_scratch_bytes",
  "mse_f32", "mse_backward_f32", "softmax_xent_f32", "softmax_xent_index_f32", "argmax_rows_f32",
  "sgd_f32", "sgd_momentum_f32", "adam_f32", "sum_squares_f32", "all_finite_f32",
  "gelu_f32", "gelu_backward_f32",
  "layernorm_f32", "layernorm_backward_f32",
  "embedding_f32", "embedding_backward_f32",
  "attention_backward_f32", "attention_backward_scratch_bytes",
];
