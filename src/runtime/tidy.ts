// tidy(fn): every tensor created while fn runs is disposed when it returns, except those it returns
// (found anywhere in the returned value: a tensor, or arrays and plain objects holding tensors) and
// those passed to keep(). Scopes nest; a kept or returned tensor moves to the enclosing scope.

import { ArgumentError } from "./errors.js";

export interface Trackable {
  dispose(): void;
  readonly isDisposed: boolean;
}

// A null entry is an untracked() region: tensors made there belong to their creator (a layer's
// buffers, an optimizer's state) and no enclosing tidy frees them.
const scopes: (Set<Trackable> | null)[] = [];

/** Record a new tensor in the innermost tidy scope, if any. */
export function track(t: Trackable): void {
  scopes[scopes.length - 1]?.add(t);
}

/**
 * Run fn with tracking off: tensors it creates are owned by the caller and survive any enclosing
 * tidy (modules use this for their parameters and their reusable activation buffers).
 */
export function untracked<T>(fn: () => T): T {
  scopes.push(null);
  try {
    return fn();
  } finally {
    scopes.pop();
  }
}

/** Forget a tensor (it was disposed by hand). */
export function untrack(t: Trackable): void {
  scopes[scopes.length - 1]?.delete(t);
}

/** Exclude a tensor from the innermost tidy scope's clean-up; it moves to the enclosing scope. */
export function keep<T extends Trackable>(t: T): T {
  for (let i = scopes.length - 1; i >= 0; i--) {
    if (scopes[i]?.delete(t)) {
      scopes[i - 1]?.add(t);
      break;
    }
  }
  return t;
}

export function tidy<T>(fn: () => T): T {
  const scope = new Set<Trackable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw error;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new ArgumentError("tidy: fn returned a Promise; tidy is synchronous (await inside it would outlive the scope)");
  }
  const returned = new Set<Trackable>();
  collect(result, returned, 0);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (returned.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

function collect(value: unknown, out: Set<Trackable>, depth: number): void {
  if (value === null || typeof value !== "object" || depth > 8) return;
  if (isTrackable(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

function isTrackable(value: object): value is Trackable {
  return typeof (value as Trackable).dispose === "function" && "isDisposed" in value;
}
