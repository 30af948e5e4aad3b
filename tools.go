//go:build tools

// This file pins the code generator used by generate.go in go.mod, so that
// `go generate ./...` always runs the same oapi-codegen version.

package docr

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
