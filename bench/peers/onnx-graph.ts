// A tiny ONNX model writer for the comparison benchmark: just enough of the protobuf wire format
// (varints, length-delimited fields) and of onnx.proto (ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto) to describe small float32 graphs — MatMul, Softmax and
// an attention block — built in code, so no model file and no converter are needed.
//
// Field numbers (onnx.proto): ModelProto { ir_version = 1, graph = 7, opset_import = 8 };
// OperatorSetIdProto { domain = 1, version = 2 }; GraphProto { node = 1, name = 2, initializer = 5,
// input = 11, output = 12 }; NodeProto { input = 1, output = 2, name = 3, op_type = 4, attribute = 5,
// domain = 7 }; AttributeProto { name = 1, f = 2, i = 3, ints = 8, type = 20 } (type FLOAT = 1,
// INT = 2, INTS = 7); TensorProto { dims = 1, data_type = 2, name = 8, raw_data = 9 } (FLOAT = 1,
// INT64 = 7); ValueInfoProto { name = 1, type = 2 }; TypeProto { tensor_type = 1 };
// TypeProto.Tensor { elem_type = 1, shape = 2 }; TensorShapeProto { dim = 1 }; Dimension { dim_value = 1 }.

type Bytes = number[];

function varint(n: number | bigint): Bytes {
  // Non-negative values only (all this writer needs; negative int64 would take 10 bytes).
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: Bytes = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

const key = (field: number, wire: number): Bytes => varint((field << 3) | wire);
const fVarint = (field: number, v: number | bigint): Bytes => [...key(field, 0), ...varint(v)];
function fBytes(field: number, payload: ArrayLike<number>): Bytes {
  const out = [...key(field, 2), ...varint(payload.length)];
  for (let i = 0; i < payload.length; i++) out.push(payload[i]!);
  return out;
}
const fString = (field: number, s: string): Bytes => fBytes(field, new TextEncoder().encode(s));
function fFloat(field: number, x: number): Bytes {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return [...key(field, 5), ...b];
}

export type Attr = { name: string; f: number } | { name: string; i: number } | { name: string; ints: number[] };

function attribute(a: Attr): Bytes {
  const out = fString(1, a.name);
  if ("f" in a) out.push(...fFloat(2, a.f), ...fVarint(20, 1));
  else if ("i" in a) out.push(...fVarint(3, a.i), ...fVarint(20, 2));
  else {
    for (const v of a.ints) out.push(...fVarint(8, v));
    out.push(...fVarint(20, 7));
  }
  return out;
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
  /** Operator domain, e.g. "com.microsoft" for onnxruntime's contrib ops; default the ONNX domain. */
  domain?: string;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  /** float32 data, or int64 values (shape constants). */
  data: Float32Array | bigint[];
}

export interface OnnxValue {
  name: string;
  dims: number[];
}

function tensorProto(t: OnnxInitializer): Bytes {
  const out: Bytes = [];
  for (const d of t.dims) out.push(...fVarint(1, d));
  let raw: Uint8Array;
  if (t.data instanceof Float32Array) {
    out.push(...fVarint(2, 1));
    raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  } else {
    out.push(...fVarint(2, 7));
    const b = new BigInt64Array(t.data);
    raw = new Uint8Array(b.buffer);
  }
  return [...out, ...fString(8, t.name), ...fBytes(9, raw)];
}

function valueInfo(v: OnnxValue): Bytes {
  const shape: Bytes = [];
  for (const d of v.dims) shape.push(...fBytes(1, fVarint(1, d)));
  const tensorType = [...fVarint(1, 1), ...fBytes(2, shape)];
  return [...fString(1, v.name), ...fBytes(2, fBytes(1, tensorType))];
}

function nodeProto(n: OnnxNode, index: number): Bytes {
  const out: Bytes = [];
  for (const i of n.inputs) out.push(...fString(1, i));
  for (const o of n.outputs) out.push(...fString(2, o));
  out.push(...fString(3, `${n.op}_${index}`), ...fString(4, n.op));
  for (const a of n.attrs ?? []) out.push(...fBytes(5, attribute(a)));
  if (n.domain) out.push(...fString(7, n.domain));
  return out;
}

/**
 * The serialized ModelProto (IR version 8, ONNX opset `opset`, plus com.microsoft version 1 when a
 * node uses that domain). Float32 inputs and outputs with fixed shapes.
 */
export function onnxModel(g: {
  nodes: OnnxNode[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  initializers?: OnnxInitializer[];
  opset?: number;
}): Uint8Array {
  // Array spreads, not push(...): an initializer has far more bytes than a call may take arguments.
  let graph: Bytes = [];
  g.nodes.forEach((n, i) => (graph = [...graph, ...fBytes(1, nodeProto(n, i))]));
  graph = [...graph, ...fString(2, "simdnet_bench")];
  for (const t of g.initializers ?? []) graph = [...graph, ...fBytes(5, tensorProto(t))];
  for (const v of g.inputs) graph = [...graph, ...fBytes(11, valueInfo(v))];
  for (const v of g.outputs) graph = [...graph, ...fBytes(12, valueInfo(v))];
  const model: Bytes = [...fVarint(1, 8), ...fBytes(7, graph), ...fBytes(8, [...fString(1, ""), ...fVarint(2, g.opset ?? 17)])];
  if (g.nodes.some((n) => n.domain === "com.microsoft")) model.push(...fBytes(8, [...fString(1, "com.microsoft"), ...fVarint(2, 1)]));
  return new Uint8Array(model);
}
