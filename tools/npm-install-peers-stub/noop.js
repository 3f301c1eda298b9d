#!/usr/bin/env node
// Nothing to do: simdnet installs glob-promise's peer (glob) through its own lock file.
