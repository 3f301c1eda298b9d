// The module's exports: every kernel the host may call. Nothing but re-exports lives here.
// ABI: pointers are byte offsets (i32) into the imported memory; see each family's file for contracts.

export { heap_base } from "./heap";
export { build_kind } from "./build";
export {
  dot_f32, scale_f32, fill_f32, add_f32, sub_f32, mul_f32, sum_f32,
  add_row_f32, sum_rows_f32,
} from "./blas";
export { gemm_f32, gemm_bias_act_f32, gemm_ref_f32, gemm_scratch_bytes } from "./gemm";
export { exp_f32, tanh_f32 } from "./vmath";
export {
  relu_f32, relu_backward_f32, sigmoid_f32, sigmoid_backward_f32, tanh_backward_f32,
  bias_relu_f32, bias_sigmoid_f32,
} from "./activations";
export { softmax_f32, log_softmax_f32, softmax_backward_f32 } from "./softmax";
export { attention_scores_f32, attention_rows_f32, attention_rows_scratch_bytes } from "./attention_forward";
export {
  mse_f32, mse_backward_f32, softmax_xent_f32, softmax_xent_index_f32, argmax_rows_f32,
} from "./loss";
export { sgd_f32, sgd_momentum_f32, adam_f32, sum_squares_f32, all_finite_f32 } from "./optim";
export { split_heads_f32, merge_heads_f32 } from "./layout";
export { gelu_f32, gelu_backward_f32 } from "./activations";
export { layernorm_f32, layernorm_backward_f32, layernorm_backward_range_f32 } from "./norm";
export { embedding_f32, embedding_backward_f32, embedding_backward_range_f32 } from "./embedding";
export { attention_rows_backward_f32, attention_rows_backward_scratch_bytes } from "./attention_backward";
export { decode_panels_size, decode_pack_panels_f32, decode_dense_f32 } from "./decode";
