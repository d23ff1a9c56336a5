/**
 * A heap of names, each pushed with three numbers and taken largest first (the first number
 * first, then the second, then the third). The solver keeps its unresolved names in two of them
 * (core.ts, nextName): an entry is what a name was when pushed, and one that no longer holds is
 * dropped when it comes to the top, so nothing is ever looked for inside.
 */
export class NameHeap {
  private names = new Int32Array(64)
  private firsts = new Int32Array(64)
  private seconds = new Int32Array(64)
  private thirds = new Int32Array(64)
  /** How many entries there are. */
  size = 0

  /** The top entry's name (-1: empty) and numbers. */
  get name(): number {
    return this.size > 0 ? this.names[0] : -1
  }

  get first(): number {
    return this.firsts[0]
  }

  get second(): number {
    return this.seconds[0]
  }

  get third(): number {
    return this.thirds[0]
  }

  push(name: number, first: number, second: number, third: number): void {
    if (this.size === this.names.length) this.grow()
    let at = this.size++
    // Up from the end while the parent comes after the new entry.
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (this.compare(first, second, third, parent) <= 0) break
      this.move(parent, at)
      at = parent
    }
    this.put(at, name, first, second, third)
  }

  /** Takes the top entry away. */
  pop(): void {
    if (this.size === 0) return
    const last = --this.size
    if (last === 0) return
    const name = this.names[last]
    const first = this.firsts[last]
    const second = this.seconds[last]
    const third = this.thirds[last]
    let at = 0
    // Down from the top while a child comes before the moved entry.
    for (;;) {
      let child = 2 * at + 1
      if (child >= last) break
      const right = child + 1
      if (
        right < last &&
        this.compare(this.firsts[right], this.seconds[right], this.thirds[right], child) > 0
      ) {
        child = right
      }
      if (this.compare(first, second, third, child) >= 0) break
      this.move(child, at)
      at = child
    }
    this.put(at, name, first, second, third)
  }

  /**
   * Above 0 when (first, second, third) comes before the entry at `at`, below 0 when after, 0
   * when they are the same numbers.
   */
  private compare(first: number, second: number, third: number, at: number): number {
    if (first !== this.firsts[at]) return first - this.firsts[at]
    if (second !== this.seconds[at]) return second - this.seconds[at]
    return third - this.thirds[at]
  }

  private move(from: number, to: number): void {
    this.put(to, this.names[from], this.firsts[from], this.seconds[from], this.thirds[from])
  }

  private put(at: number, name: number, first: number, second: number, third: number): void {
    this.names[at] = name
    this.firsts[at] = first
    this.seconds[at] = second
    this.thirds[at] = third
  }

  private grow(): void {
    const larger = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2)
      b.set(a)
      return b
    }
    this.names = larger(this.names)
    this.firsts = larger(this.firsts)
    this.seconds = larger(this.seconds)
    this.thirds = larger(this.thirds)
  }
}
