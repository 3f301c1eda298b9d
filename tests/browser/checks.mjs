// The check counter every browser-side test script shares: `check(name, ok, detail)` prints one "ok"/"FAIL"
// line, and the closing line "LABEL: N passed, M failed" is what scripts/test-summary.mjs counts.

export function checkSuite(label) {
  let passed = 0;
  let failed = 0;
  function check(name, ok, detail = "") {
    if (ok) passed++;
    else failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
  }
  /** Print the closing line and exit: 0 only if at least one check ran and none failed. */
  function finish() {
    console.log(`${label}: ${passed} passed, ${failed} failed`);
    process.exit(failed === 0 && passed > 0 ? 0 : 1);
  }
  /** Run `main`, turn a thrown error into a failed "harness" check, fail the whole run past `timeoutMs` (if given). */
  async function run(main, timeoutMs) {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      console.error(`${label}: timed out after ${timeoutMs / 1000} s`);
      console.log(`${label}: ${passed} passed, ${failed + 1} failed`);
      process.exit(1);
    }, timeoutMs);
    try {
      await main();
    } catch (err) {
      check("harness", false, err && err.stack ? err.stack : String(err));
    }
    clearTimeout(timer);
    finish();
  }
  return { check, finish, run };
}
