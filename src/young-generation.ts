/**
 * Imported first by the action's entry point, so that V8's young generation stays at its
 * starting size from before any other module is evaluated (keepYoungGenerationSmall).
 */
import { keepYoungGenerationSmall } from './released-memory.js'

keepYoungGenerationSmall()
