// Types for doc-examples.mjs (plain JavaScript so that the browser runner can use it too).
export interface ExampleOptions {
  replace?: [string, string][];
  expect?: string;
  nodeOnly?: boolean;
  skip?: boolean;
  why?: string;
}
export interface DocExample {
  id: string;
  file: string;
  line: number;
  lang: "js" | "ts";
  code: string;
  testCode: string;
  options: ExampleOptions;
}
export const ROOT: string;
export function docExamples(options?: { full?: boolean }): DocExample[];
export function toJavaScript(example: DocExample): Promise<string>;
