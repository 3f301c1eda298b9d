// Compiled by tests/types/tsconfig.json (ES2022 lib only): the public API as a user without the DOM
// lib sees it, through dist/index.d.ts as the package's "types" export names it.
import { init, tensor, matmul, tidy, backendInfo, loadEmbeddedMnist, NeuralNetwork, GPT, type BackendInfo } from "../../dist/index.js";

export async function example(): Promise<BackendInfo> {
  await init({ build: "simd" });
  tidy(() => matmul(tensor([[1, 2]]), tensor([[3], [4]])));
  const { train } = await loadEmbeddedMnist({ trainSize: 10 });
  const net = new NeuralNetwork([784, 10]);
  net.dispose();
  void GPT;
  void train.count;
  return backendInfo();
}
