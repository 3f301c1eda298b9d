// Checks that a call throws FormatError at the expected byte offset with a message naming the problem.

import { expect } from "vitest";
import { FormatError } from "../../src/index.js";

/** The FormatError `fn` throws (sync or async), checked for offset and message. */
export async function formatError(fn: () => unknown, offset: number, message: RegExp): Promise<FormatError> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  expect(error, "expected a FormatError").toBeInstanceOf(FormatError);
  const fe = error as FormatError;
  expect(fe.message).toMatch(message);
  expect(fe.offset, fe.message).toBe(offset);
  expect(fe.message).toContain(`(at byte offset ${offset})`);
  return fe;
}
