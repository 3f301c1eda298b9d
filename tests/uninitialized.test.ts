// Its own file: vitest isolates files, so no backend exists here until init() runs.
import { describe, expect, it } from "vitest";
import { NotInitializedError, backendInfo, init, tensor, zeros } from "../src/index.js";

describe("before init()", () => {
  it("creating a tensor throws NotInitializedError telling the user to call init", async () => {
    expect(() => tensor([1])).toThrow(NotInitializedError);
    expect(() => zeros([2])).toThrow("simdnet is not initialised: call `await init()` before creating tensors");
    expect(() => backendInfo()).toThrow(NotInitializedError);
    await init();
    expect(tensor([1]).toArray()).toEqual([1]);
  });
});
