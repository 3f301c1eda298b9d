#!/usr/bin/env bash
# The short mutation-testing sample CI runs (docs/TESTING.md): the optimizer op and the learning-rate
# schedules against their float64 oracle tests, about 2 minutes. Fails if the score drops below 95 %
# (both files score 100 % today: a survivor here means an oracle test stopped checking something).
set -euo pipefail
cd "$(dirname "$0")/.."
MUTATE="src/ops/optim.ts,src/nn/schedules.ts" \
MUTATE_TESTS="tests/adam-oracle.test.ts,tests/sgd-oracle.test.ts,tests/schedules.test.ts,tests/gpt-trainer-oracle.test.ts,tests/argument-checks.test.ts,tests/aliasing.test.ts,tests/optim-boundaries.test.ts" \
MUTATE_REPORT=ci-sample MUTATE_BREAK=95 npm run mutate
