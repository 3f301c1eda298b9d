// as-pect runs the kernel specs in tests/assembly against the SIMD build of the sources, and
// `npm run test:assembly:relaxed` against the relaxed-SIMD build (as-pect.relaxed.asconfig.json)
// (as-pect.asconfig.json enables simd; without it the SIMD branches would silently run their scalar path).
export default {
  entries: ["tests/assembly/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
