// First, before the other modules are evaluated: see young-generation.ts.
import './young-generation.js'
import { run } from './action/main.js'

void run()
