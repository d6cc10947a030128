#!/usr/bin/env node
// Thin launcher so `npm link` / `npx sspr` run the compiled CLI.
import '../dist/main.js';
