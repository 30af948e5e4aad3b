// Package docr is the root of the docr module: a Go client for the
// DigitalOcean Container Registry API, generated from the registry portion of
// DigitalOcean's OpenAPI spec (package gen), with a handwritten facade
// (package facade) that most programs import.
//
// This file holds the code generation steps. Run "go generate ./..." or
// "make generate" from the module root; both regenerate, from
// spec/registry.yaml and spec/overlay.yaml, the client and models (gen/),
// the server interface the fake implements (docrtest/internal/server) and
// the spec the fake validates against (docrtest/internal/embeddedspec). The
// extracted spec itself is refreshed from an upstream checkout with
// "make spec UPSTREAM=...".
package docr

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config gen/config.yaml spec/registry.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config docrtest/internal/server/config.yaml spec/registry.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config docrtest/internal/embeddedspec/config.yaml spec/registry.yaml
