#!/usr/bin/env node
// The CLI runs the build made by `npm ci` (the `prepare` script).
import '../dist/src/cli/main.js';
