package controller_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docr-dev/docr/internal/programs/controller"
)

// ExampleMain shows how the program reports a bad flag: exit status 2 and
// one line on stderr.
func ExampleMain() {
	var stderr strings.Builder
	code := controller.Main(context.Background(), []string{"--namespace", "Not_A_Namespace"}, io.Discard, &stderr, os.Getenv)
	fmt.Print(code, " ", stderr.String())
	// Output:
	// 2 docr-controller: --namespace "Not_A_Namespace" is not a namespace name (1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit)
}
