/**
 * Imported first by the entry points (the action's `index.ts`, the command line's `cli-bin.ts`),
 * so that V8's young generation stays at its starting size from before any other module is
 * evaluated (keepYoungGenerationSmall).
 */
import { keepYoungGenerationSmall } from './released-memory.js'

keepYoungGenerationSmall()
