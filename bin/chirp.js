#!/usr/bin/env node
// The `chirp` bin: loads tsx so the TypeScript CLI runs without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./chirp.ts');
