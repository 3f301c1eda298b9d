// Optimizers: turn each parameter's gradient into an update. State (velocities, moments) lives in
// tensors allocated on first use and reused every step.

import { tensorOn } from "../runtime/creation.js";
import { ArgumentError } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { untracked } from "../runtime/tidy.js";
import { adamStep, momentumStep, sgdStep } from "../ops/optim.js";
import type { Parameter } from "./module.js";

export interface Optimizer {
  readonly name: string;
  learningRate: number;
  step(params: readonly Parameter[]): void;
  dispose(): void;
  /**
   * The tensors step() writes besides the parameters (velocities, moments), created if needed. The
   * guarded training step (step.ts) saves and restores them with the parameters; an optimizer
   * without this method has its parameters rolled back but not its state.
   */
  stateTensors?(params: readonly Parameter[]): Tensor[];
  /** Steps taken, for optimizers whose update depends on it (Adam's bias correction). */
  stepCount?: number;
}

function checkRate(name: string, lr: number): void {
  if (!(typeof lr === "number" && lr > 0 && Number.isFinite(lr))) {
    throw new ArgumentError(`${name}: learningRate must be a finite number > 0, got ${String(lr)}`);
  }
}

class StateTensors {
  private readonly map = new Map<Tensor, Tensor>();

  for(param: Tensor): Tensor {
    let s = this.map.get(param);
    if (!s) this.map.set(param, (s = untracked(() => tensorOn(param.backend, new Float32Array(param.size), param.shape))));
    return s;
  }

  dispose(): void {
    for (const t of this.map.values()) t.dispose();
    this.map.clear();
  }
}

/** Plain gradient descent, w −= lr·g (the tutorial's update); with momentum, heavy-ball SGD. */
export class SGD implements Optimizer {
  readonly name: string;
  private readonly velocity = new StateTensors();
  readonly momentum: number;

  constructor(public learningRate: number, options: { momentum?: number } = {}) {
    checkRate("SGD", learningRate);
    this.momentum = options.momentum ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new ArgumentError(`SGD: momentum must be in [0, 1), got ${this.momentum}`);
    this.name = this.momentum > 0 ? "momentum" : "sgd";
  }

  stateTensors(params: readonly Parameter[]): Tensor[] {
    return this.momentum > 0 ? params.map((p) => this.velocity.for(p.value)) : [];
  }

  /** The velocity tensor of a parameter (created on first use), for checkpoints; only with momentum. */
  velocityOf(param: Tensor): Tensor {
    return this.velocity.for(param);
  }

  step(params: readonly Parameter[]): void {
    for (const p of params) {
      if (this.momentum > 0) momentumStep(p.value, p.grad, this.velocity.for(p.value), this.learningRate, this.momentum);
      else sgdStep(p.value, p.grad, this.learningRate);
    }
  }

  dispose(): void {
    this.velocity.dispose();
  }
}

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW). */
  weightDecay?: number;
  /** Which parameters decay (default all). Transformers decay weight matrices, not biases or LayerNorm gains. */
  decays?: (param: Parameter) => boolean;
}

export class Adam implements Optimizer {
  readonly name = "adam";
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly decays: (param: Parameter) => boolean;
  private t = 0;
  private readonly m = new StateTensors();
  private readonly v = new StateTensors();

  constructor(public learningRate = 1e-3, options: AdamOptions = {}) {
    checkRate("Adam", learningRate);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.decays = options.decays ?? (() => true);
    for (const [name, value, ok] of [
      ["beta1", this.beta1, this.beta1 >= 0 && this.beta1 < 1],
      ["beta2", this.beta2, this.beta2 >= 0 && this.beta2 < 1],
      ["eps", this.eps, this.eps > 0 && Number.isFinite(this.eps)],
      ["weightDecay", this.weightDecay, this.weightDecay >= 0 && Number.isFinite(this.weightDecay)],
    ] as const) {
      if (!ok) throw new ArgumentError(`Adam: ${name} must be ${name === "eps" ? "a finite number > 0" : name === "weightDecay" ? "a finite number >= 0" : "in [0, 1)"}, got ${String(value)}`);
    }
  }

  /** Steps taken (for bias correction); settable when resuming from a checkpoint. */
  get stepCount(): number {
    return this.t;
  }

  set stepCount(t: number) {
    this.t = t;
  }

  /** The first and second moment tensors of a parameter (created on first use), for checkpoints. */
  moments(param: Tensor): { m: Tensor; v: Tensor } {
    return { m: this.m.for(param), v: this.v.for(param) };
  }

  stateTensors(params: readonly Parameter[]): Tensor[] {
    return params.flatMap((p) => [this.m.for(p.value), this.v.for(p.value)]);
  }

  step(params: readonly Parameter[]): void {
    const t = this.t + 1;
    const h = { lr: this.learningRate, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, step: t };
    const noDecay = { ...h, weightDecay: 0 };
    for (const p of params) adamStep(p.value, p.grad, this.m.for(p.value), this.v.for(p.value), this.decays(p) ? h : noDecay);
    this.t = t; // counted once the update is written (adamStep refuses bad hyperparameters before writing)
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}

export type OptimizerName = "sgd" | "momentum" | "adam";
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ["sgd", "momentum", "adam"];

export function createOptimizer(name: OptimizerName, learningRate: number): Optimizer {
  switch (name) {
    case "sgd":
      return new SGD(learningRate);
    case "momentum":
      return new SGD(learningRate, { momentum: 0.9 });
    case "adam":
      return new Adam(learningRate);
    default:
      throw new ArgumentError(`unknown optimizer "${String(name)}" (choose ${OPTIMIZER_NAMES.join(", ")})`);
  }
}
