// Command hello prints one line: the cost of starting any Go program, for
// the start-up benchmark.
package main

import "fmt"

func main() {
	fmt.Println("hello, world")
}
