// Command inferd is a stand-in that prints the version it was built with.
package main

import (
	"fmt"

	"github.com/inferd/inferd/internal/cli"
)

func main() { fmt.Println("fake inferd", cli.Version()) }
