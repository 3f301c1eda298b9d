// Plain-JavaScript float32 GPT, the baseline of the transformer benchmarks: the model simdnet's GPT
// builds with its defaults (sinusoidal positions, tied embeddings) written out as straightforward
// loops over typed arrays — what a careful person would write without Wasm. No allocation in
// forward/backward/step once the buffers for a (batch, seq) shape exist.
//
//   x = W_E[ids]·√d + PE (sinusoidal)
//   per block (pre-LN):  x += W_o·attn(LN1(x)·W_qkv + b_qkv) + b_o     (causal, fused QKV, heads)
//                        x += GELU(LN2(x)·W_fc + b_fc)·W_proj + b_proj  (GELU: tanh approximation)
//   logits = LN_f(x)·W_Eᵀ;  loss = mean cross-entropy over all B·T positions
//
// Parameters use simdnet's names and layouts (weights [in, out] row-major; biases [1, out]), so
// load() takes `model.parameters()` values directly. The attention weights P of every (sequence,
// head) are kept from the forward for the backward ([T, T] each), as a simple implementation would.
// step() is GptTrainer's: global-norm clipping, then AdamW (β = 0.9, 0.95; decay on the rank-2
// weights except biases) with bias correction.

export interface PlainGptConfig {
  vocabSize: number;
  contextLength: number;
  dModel: number;
  heads: number;
  layers: number;
}

interface P {
  name: string;
  shape: number[];
  value: Float32Array;
  grad: Float32Array;
  m: Float32Array;
  v: Float32Array;
  decays: boolean;
}

interface BlockParams {
  ln1g: P; ln1b: P; wqkv: P; bqkv: P; wo: P; bo: P; ln2g: P; ln2b: P; wfc: P; bfc: P; wproj: P; bproj: P;
}

interface LnSave { x: Float32Array; y: Float32Array; mean: Float32Array; rstd: Float32Array }

interface BlockSave {
  ln1: LnSave; qkv: Float32Array; p: Float32Array; merged: Float32Array; x1: Float32Array;
  ln2: LnSave; z: Float32Array; g: Float32Array; x2: Float32Array;
}

const LN_EPS = 1e-5;
const GELU_C = Math.sqrt(2 / Math.PI);

// ---------------------------------------------------------------- matrix products (row-major)

/** C[m×n] = A[m×k]·B[k×n] (+ C if acc), i-k-j. */
function mm(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, acc = false): void {
  if (!acc) c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const x = a[ai + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += x * b[bp + j]!;
    }
  }
}

/** C[m×n] = Aᵀ·B with A [k×m], B [k×n] (weight gradients: inputᵀ·dy). */
function mmTA(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  c.fill(0, 0, m * n);
  for (let p = 0; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const x = a[ap + i]!;
      if (x === 0) continue;
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += x * b[bp + j]!;
    }
  }
}

/** C[m×n] = A·Bᵀ with A [m×k], B [n×k] (input gradients: dy·Wᵀ; tied logits: h·W_Eᵀ). */
function mmTB(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p]! * b[bj + p]!;
      c[i * n + j] = s;
    }
  }
}

function addBiasRows(x: Float32Array, bias: Float32Array, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) x[o + j] += bias[j]!;
  }
}

function sumRowsInto(dy: Float32Array, out: Float32Array, rows: number, n: number): void {
  out.fill(0, 0, n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) out[j] += dy[o + j]!;
  }
}

export function sinusoidalTable(maxLen: number, d: number): Float32Array {
  const pe = new Float32Array(maxLen * d);
  for (let t = 0; t < maxLen; t++) {
    for (let i = 0; i < d; i += 2) {
      const angle = t / Math.pow(10000, i / d);
      pe[t * d + i] = Math.sin(angle);
      if (i + 1 < d) pe[t * d + i + 1] = Math.cos(angle);
    }
  }
  return pe;
}

export class PlainGPT {
  readonly params: P[] = [];
  private readonly byName = new Map<string, P>();
  private readonly wte: P;
  private readonly blocks: BlockParams[] = [];
  private readonly lnfG: P;
  private readonly lnfB: P;
  private readonly pe: Float32Array;
  private readonly hidden: number;
  private readonly dh: number;
  private t = 0;
  // Buffers of the current (batch, seq) shape.
  private shapeKey = "";
  private rows = 0;
  private batch = 0;
  private seq = 0;
  private ids = new Int32Array(0);
  private saves: BlockSave[] = [];
  private x0: Float32Array = new Float32Array(0);
  private lnf!: LnSave;
  private logits: Float32Array = new Float32Array(0);
  private dlogits: Float32Array = new Float32Array(0);
  private scratch!: {
    dx: Float32Array; dx1: Float32Array; dh: Float32Array; dln: Float32Array; dqkv: Float32Array; dmerged: Float32Array;
    dz: Float32Array; dg: Float32Array; dp: Float32Array; dwteU: Float32Array; attn: Float32Array; mlp: Float32Array;
  };

  constructor(readonly config: PlainGptConfig) {
    const { vocabSize: V, dModel: d, layers, heads, contextLength } = config;
    this.hidden = 4 * d;
    this.dh = d / heads;
    const add = (name: string, shape: number[], fill = 0): P => {
      const n = shape.reduce((a, b) => a * b, 1);
      const p: P = {
        name, shape, value: new Float32Array(n).fill(fill), grad: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n),
        decays: shape.length === 2 && !name.endsWith(".bias"),
      };
      this.params.push(p);
      this.byName.set(name, p);
      return p;
    };
    this.wte = add("wte", [V, d]);
    for (let l = 0; l < layers; l++) {
      const n = `blocks.${l}`;
      const H = this.hidden;
      this.blocks.push({
        ln1g: add(`${n}.ln1.gamma`, [d], 1), ln1b: add(`${n}.ln1.beta`, [d]),
        wqkv: add(`${n}.attn.qkv.weights`, [d, 3 * d]), bqkv: add(`${n}.attn.qkv.bias`, [1, 3 * d]),
        wo: add(`${n}.attn.out.weights`, [d, d]), bo: add(`${n}.attn.out.bias`, [1, d]),
        ln2g: add(`${n}.ln2.gamma`, [d], 1), ln2b: add(`${n}.ln2.beta`, [d]),
        wfc: add(`${n}.mlp.fc.weights`, [d, H]), bfc: add(`${n}.mlp.fc.bias`, [1, H]),
        wproj: add(`${n}.mlp.proj.weights`, [H, d]), bproj: add(`${n}.mlp.proj.bias`, [1, d]),
      });
    }
    this.lnfG = add("ln_f.gamma", [d], 1);
    this.lnfB = add("ln_f.beta", [d]);
    this.pe = sinusoidalTable(contextLength, d);
  }

  /** Copy weights in by name (e.g. from simdnet's `model.parameters()`); resets the optimizer state. */
  load(values: { name: string; data: Float32Array }[]): void {
    for (const { name, data } of values) {
      const p = this.byName.get(name);
      if (!p) throw new Error(`PlainGPT.load: no parameter "${name}"`);
      if (p.value.length !== data.length) throw new Error(`PlainGPT.load: ${name} has ${p.value.length} values, got ${data.length}`);
      p.value.set(data);
      p.m.fill(0);
      p.v.fill(0);
    }
    if (values.length !== this.params.length) throw new Error(`PlainGPT.load: ${values.length} tensors for ${this.params.length} parameters`);
    this.t = 0;
  }

  param(name: string): P {
    const p = this.byName.get(name);
    if (!p) throw new Error(`PlainGPT: no parameter "${name}"`);
    return p;
  }

  private ensure(batch: number, seq: number): void {
    const key = `${batch}x${seq}`;
    if (key === this.shapeKey) return;
    const { dModel: d, vocabSize: V, heads } = this.config;
    const rows = batch * seq;
    const H = this.hidden;
    const f = (n: number): Float32Array => new Float32Array(n) as Float32Array;
    const ln = (): LnSave => ({ x: f(rows * d), y: f(rows * d), mean: f(rows), rstd: f(rows) });
    this.saves = this.blocks.map(() => ({
      ln1: ln(), qkv: f(rows * 3 * d), p: f(batch * heads * seq * seq), merged: f(rows * d), x1: f(rows * d),
      ln2: ln(), z: f(rows * H), g: f(rows * H), x2: f(rows * d),
    }));
    this.x0 = f(rows * d);
    this.lnf = ln();
    this.logits = f(rows * V);
    this.dlogits = f(rows * V);
    this.scratch = {
      dx: f(rows * d), dx1: f(rows * d), dh: f(rows * d), dln: f(rows * d), dqkv: f(rows * 3 * d), dmerged: f(rows * d),
      dz: f(rows * H), dg: f(rows * H), dp: f(seq), dwteU: f(V * d), attn: f(rows * d), mlp: f(rows * d),
    };
    this.ids = new Int32Array(rows);
    this.shapeKey = key;
    this.rows = rows;
    this.batch = batch;
    this.seq = seq;
  }

  // ---------------------------------------------------------------- forward

  private layerNorm(x: Float32Array, g: Float32Array, b: Float32Array, s: LnSave, rows: number, d: number): void {
    s.x.set(x.subarray(0, rows * d));
    const y = s.y;
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      let mean = 0;
      for (let j = 0; j < d; j++) mean += x[o + j]!;
      mean /= d;
      let vr = 0;
      for (let j = 0; j < d; j++) {
        const c = x[o + j]! - mean;
        vr += c * c;
      }
      vr /= d;
      const rstd = 1 / Math.sqrt(vr + LN_EPS);
      s.mean[r] = mean;
      s.rstd[r] = rstd;
      for (let j = 0; j < d; j++) y[o + j] = (x[o + j]! - mean) * rstd * g[j]! + b[j]!;
    }
  }

  /** Logits [B·T, vocab] for B sequences of T ids (a buffer of the model, valid until the next call). */
  forward(ids: Int32Array, batch: number): Float32Array {
    const seq = ids.length / batch;
    this.ensure(batch, seq);
    this.ids.set(ids);
    const { dModel: d, vocabSize: V, heads } = this.config;
    const rows = this.rows;
    const H = this.hidden;
    const dh = this.dh;
    const sc = Math.sqrt(d);
    const wte = this.wte.value;
    let x = this.x0;
    for (let r = 0; r < rows; r++) {
      const t = r % seq;
      const id = ids[r]!;
      for (let j = 0; j < d; j++) x[r * d + j] = wte[id * d + j]! * sc + this.pe[t * d + j]!;
    }
    const scale = 1 / Math.sqrt(dh);
    this.blocks.forEach((bp, l) => {
      const s = this.saves[l]!;
      this.layerNorm(x, bp.ln1g.value, bp.ln1b.value, s.ln1, rows, d);
      mm(s.ln1.y, bp.wqkv.value, s.qkv, rows, d, 3 * d);
      addBiasRows(s.qkv, bp.bqkv.value, rows, 3 * d);
      // Causal attention per sequence and head, written into the merged [rows, d] layout.
      const qkv = s.qkv;
      const merged = s.merged;
      merged.fill(0);
      for (let b = 0; b < batch; b++) {
        for (let hh = 0; hh < heads; hh++) {
          const P = s.p;
          const pBase = (b * heads + hh) * seq * seq;
          for (let i = 0; i < seq; i++) {
            const qi = (b * seq + i) * 3 * d + hh * dh;
            const pi = pBase + i * seq;
            let mx = -Infinity;
            for (let j = 0; j <= i; j++) {
              const kj = (b * seq + j) * 3 * d + d + hh * dh;
              let dot = 0;
              for (let c = 0; c < dh; c++) dot += qkv[qi + c]! * qkv[kj + c]!;
              dot *= scale;
              P[pi + j] = dot;
              if (dot > mx) mx = dot;
            }
            let sum = 0;
            for (let j = 0; j <= i; j++) {
              const e = Math.exp(P[pi + j]! - mx);
              P[pi + j] = e;
              sum += e;
            }
            const inv = 1 / sum;
            for (let j = 0; j <= i; j++) P[pi + j] *= inv;
            for (let j = i + 1; j < seq; j++) P[pi + j] = 0;
            const oi = (b * seq + i) * d + hh * dh;
            for (let j = 0; j <= i; j++) {
              const w = P[pi + j]!;
              const vj = (b * seq + j) * 3 * d + 2 * d + hh * dh;
              for (let c = 0; c < dh; c++) merged[oi + c] += w * qkv[vj + c]!;
            }
          }
        }
      }
      const a = this.scratch.attn;
      mm(merged, bp.wo.value, a, rows, d, d);
      addBiasRows(a, bp.bo.value, rows, d);
      for (let i = 0; i < rows * d; i++) s.x1[i] = x[i]! + a[i]!;
      this.layerNorm(s.x1, bp.ln2g.value, bp.ln2b.value, s.ln2, rows, d);
      mm(s.ln2.y, bp.wfc.value, s.z, rows, d, H);
      addBiasRows(s.z, bp.bfc.value, rows, H);
      for (let i = 0; i < rows * H; i++) {
        const z = s.z[i]!;
        s.g[i] = 0.5 * z * (1 + Math.tanh(GELU_C * (z + 0.044715 * z * z * z)));
      }
      const m = this.scratch.mlp;
      mm(s.g, bp.wproj.value, m, rows, H, d);
      addBiasRows(m, bp.bproj.value, rows, d);
      for (let i = 0; i < rows * d; i++) s.x2[i] = s.x1[i]! + m[i]!;
      x = s.x2;
    });
    this.layerNorm(x, this.lnfG.value, this.lnfB.value, this.lnf, rows, d);
    mmTB(this.lnf.y, wte, this.logits, rows, d, V);
    return this.logits;
  }

  /** Mean cross-entropy over all positions; keeps d(loss)/d(logits) for backward(). */
  loss(ids: Int32Array, targets: Int32Array, batch: number): number {
    const logits = this.forward(ids, batch);
    const V = this.config.vocabSize;
    const rows = this.rows;
    const g = this.dlogits;
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * V;
      let mx = -Infinity;
      for (let j = 0; j < V; j++) if (logits[o + j]! > mx) mx = logits[o + j]!;
      let sum = 0;
      for (let j = 0; j < V; j++) {
        const e = Math.exp(logits[o + j]! - mx);
        g[o + j] = e;
        sum += e;
      }
      const t = targets[r]!;
      total += Math.log(sum) - (logits[o + t]! - mx);
      const inv = 1 / (sum * rows);
      for (let j = 0; j < V; j++) g[o + j] *= inv;
      g[o + t] -= 1 / rows;
    }
    return total / rows;
  }

  // ---------------------------------------------------------------- backward

  /** dx of a LayerNorm given dy (written into dx), accumulating nothing: dgamma, dbeta overwritten. */
  private layerNormBackward(dy: Float32Array, s: LnSave, g: P, b: P, dx: Float32Array, rows: number, d: number): void {
    const gamma = g.value;
    const dg = g.grad;
    const db = b.grad;
    dg.fill(0);
    db.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      const mean = s.mean[r]!;
      const rstd = s.rstd[r]!;
      let sumD = 0;
      let sumDX = 0;
      for (let j = 0; j < d; j++) {
        const xh = (s.x[o + j]! - mean) * rstd;
        const dyj = dy[o + j]!;
        dg[j] += dyj * xh;
        db[j] += dyj;
        const dxh = dyj * gamma[j]!;
        sumD += dxh;
        sumDX += dxh * xh;
      }
      sumD /= d;
      sumDX /= d;
      for (let j = 0; j < d; j++) {
        const xh = (s.x[o + j]! - mean) * rstd;
        dx[o + j] = rstd * (dy[o + j]! * gamma[j]! - sumD - xh * sumDX);
      }
    }
  }

  /** Gradients of every parameter for the last loss() call (overwritten). */
  backward(): void {
    const { dModel: d, vocabSize: V, heads } = this.config;
    const { rows, batch, seq } = this;
    const H = this.hidden;
    const dh = this.dh;
    const S = this.scratch;
    const scale = 1 / Math.sqrt(dh);
    // Tied unembedding: logits = h·W_Eᵀ.
    mm(this.dlogits, this.wte.value, S.dh, rows, V, d);
    mmTA(this.dlogits, this.lnf.y, S.dwteU, V, rows, d);
    let dx = S.dx;
    this.layerNormBackward(S.dh, this.lnf, this.lnfG, this.lnfB, dx, rows, d);
    for (let l = this.blocks.length - 1; l >= 0; l--) {
      const bp = this.blocks[l]!;
      const s = this.saves[l]!;
      // MLP: x2 = x1 + GELU(LN2(x1)·W_fc + b_fc)·W_proj + b_proj.
      mmTA(s.g, dx, bp.wproj.grad, H, rows, d);
      sumRowsInto(dx, bp.bproj.grad, rows, d);
      mmTB(dx, bp.wproj.value, S.dg, rows, d, H);
      for (let i = 0; i < rows * H; i++) {
        const z = s.z[i]!;
        const t = Math.tanh(GELU_C * (z + 0.044715 * z * z * z));
        const dgelu = 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * z * z);
        S.dz[i] = S.dg[i]! * dgelu;
      }
      mmTA(s.ln2.y, S.dz, bp.wfc.grad, d, rows, H);
      sumRowsInto(S.dz, bp.bfc.grad, rows, H);
      mmTB(S.dz, bp.wfc.value, S.dln, rows, H, d);
      this.layerNormBackward(S.dln, s.ln2, bp.ln2g, bp.ln2b, S.dx1, rows, d);
      const dx1 = S.dx1;
      for (let i = 0; i < rows * d; i++) dx1[i] += dx[i]!;
      // Attention: x1 = x + (attn(LN1(x)·W_qkv + b_qkv))·W_o + b_o.
      mmTA(s.merged, dx1, bp.wo.grad, d, rows, d);
      sumRowsInto(dx1, bp.bo.grad, rows, d);
      mmTB(dx1, bp.wo.value, S.dmerged, rows, d, d);
      const qkv = s.qkv;
      const dqkv = S.dqkv;
      const dmerged = S.dmerged;
      const dp = S.dp;
      dqkv.fill(0);
      for (let b = 0; b < batch; b++) {
        for (let hh = 0; hh < heads; hh++) {
          const pBase = (b * heads + hh) * seq * seq;
          for (let i = 0; i < seq; i++) {
            const pi = pBase + i * seq;
            const oi = (b * seq + i) * d + hh * dh;
            const qi = (b * seq + i) * 3 * d + hh * dh;
            // dP_ij = dO_i·v_j; D_i = Σ_j P_ij·dP_ij (= rowsum(dO ⊙ O)).
            let D = 0;
            for (let j = 0; j <= i; j++) {
              const vj = (b * seq + j) * 3 * d + 2 * d + hh * dh;
              let x = 0;
              for (let c = 0; c < dh; c++) x += dmerged[oi + c]! * qkv[vj + c]!;
              dp[j] = x;
              D += s.p[pi + j]! * x;
            }
            for (let j = 0; j <= i; j++) {
              const pij = s.p[pi + j]!;
              const ds = pij * (dp[j]! - D) * scale;
              const kj = (b * seq + j) * 3 * d + d + hh * dh;
              const vj = kj + d;
              for (let c = 0; c < dh; c++) {
                dqkv[qi + c] += ds * qkv[kj + c]!;
                dqkv[kj + c] += ds * qkv[qi + c]!;
                dqkv[vj + c] += pij * dmerged[oi + c]!;
              }
            }
          }
        }
      }
      mmTA(s.ln1.y, dqkv, bp.wqkv.grad, d, rows, 3 * d);
      sumRowsInto(dqkv, bp.bqkv.grad, rows, 3 * d);
      mmTB(dqkv, bp.wqkv.value, S.dln, rows, 3 * d, d);
      this.layerNormBackward(S.dln, s.ln1, bp.ln1g, bp.ln1b, dx, rows, d);
      for (let i = 0; i < rows * d; i++) dx[i] += dx1[i]!;
    }
    // Embedding: x0 = W_E[ids]·√d + PE.
    const sc = Math.sqrt(d);
    const gw = this.wte.grad;
    gw.set(S.dwteU);
    for (let r = 0; r < rows; r++) {
      const id = this.ids[r]!;
      for (let j = 0; j < d; j++) gw[id * d + j] += dx[r * d + j]! * sc;
    }
  }

  // ---------------------------------------------------------------- update

  /** Clip to the global gradient norm, then AdamW at learning rate lr; returns the norm before clipping. */
  step(lr: number, o: { clipNorm: number; weightDecay: number; beta1?: number; beta2?: number; eps?: number }): number {
    const beta1 = o.beta1 ?? 0.9;
    const beta2 = o.beta2 ?? 0.95;
    const eps = o.eps ?? 1e-8;
    let sq = 0;
    for (const p of this.params) for (let i = 0; i < p.grad.length; i++) sq += p.grad[i]! * p.grad[i]!;
    const norm = Math.sqrt(sq);
    const clip = o.clipNorm > 0 && norm > o.clipNorm ? o.clipNorm / norm : 1;
    this.t++;
    const bias1 = 1 - beta1 ** this.t;
    const bias2 = 1 - beta2 ** this.t;
    for (const p of this.params) {
      const wd = p.decays ? o.weightDecay : 0;
      const { value: w, grad: g, m, v } = p;
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]! * clip;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] -= lr * (mi / bias1 / (Math.sqrt(vi / bias2) + eps) + wd * w[i]!);
      }
    }
    return norm;
  }

  /** One training step: loss, backward, clip + AdamW. Returns the loss. */
  trainStep(ids: Int32Array, targets: Int32Array, batch: number, lr: number, o: { clipNorm: number; weightDecay: number }): number {
    const loss = this.loss(ids, targets, batch);
    this.backward();
    this.step(lr, o);
    return loss;
  }
}

/** Index of the largest value (the first on ties). */
function argmaxOf(x: Float32Array, from: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (x[from + j]! > x[from + best]!) best = j;
  return best;
}

/**
 * Greedy generation without a KV cache: every new token re-runs the forward over the window, with
 * simdnet generate()'s window rule (`useCache: false`): the last `contextLength` tokens, except that
 * when the text reaches the context the window restarts from its last half for one token. Returns
 * prompt + new ids. (Buffers are reallocated when the window length changes.)
 */
export function plainGenerate(model: PlainGPT, prompt: Int32Array, maxNewTokens: number): Int32Array {
  const context = model.config.contextLength;
  const V = model.config.vocabSize;
  const ids = new Int32Array(prompt.length + maxNewTokens);
  ids.set(prompt);
  let length = prompt.length;
  let logits: Float32Array = new Float32Array(0);
  const last = (from: number, to: number): number => {
    logits = model.forward(ids.subarray(from, to), 1);
    return (to - from - 1) * V;
  };
  let windowStart = 0;
  let at = last(0, length);
  for (let n = 0; n < maxNewTokens; n++) {
    const id = argmaxOf(logits, at, V);
    ids[length++] = id;
    if (n === maxNewTokens - 1) break;
    if (length - windowStart >= context) {
      windowStart = length - Math.max(1, context >> 1);
      at = last(windowStart, length);
    } else {
      at = last(windowStart, length); // generate()'s window: the one its KV caches hold
    }
  }
  return ids.subarray(0, length);
}
