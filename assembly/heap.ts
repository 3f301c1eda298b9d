// Where the host may start allocating. The module's static data (constants) lives below
// __heap_base; every instance re-applies its data segments there, so host buffers must stay above.
export function heap_base(): usize {
  return __heap_base;
}
