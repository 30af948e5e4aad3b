// Package docr is the root of the docr module: the best way, from Go, from
// CI and from Kubernetes, to get and use DigitalOcean Container Registry
// (DOCR) credentials. The root package holds no API; the module is
//
//   - [github.com/docr-dev/docr/facade]: the client most programs import.
//     It mints Docker credentials (read-only by default, expiring), revokes
//     them, renews them before they expire (facade.Source, also a
//     go-containerregistry authn.Helper), and exposes every operation of the
//     registry API with token auth, retries and typed errors;
//   - [github.com/docr-dev/docr/gen]: that API's client and models,
//     generated with oapi-codegen from the registry part of DigitalOcean's
//     OpenAPI spec (spec/);
//   - [github.com/docr-dev/docr/dockerconfig]: stores credentials in Docker's
//     config.json safely (credsStore and credHelpers respected, other
//     entries kept, locked, atomic);
//   - [github.com/docr-dev/docr/kubesecret]: builds a
//     kubernetes.io/dockerconfigjson Secret;
//   - [github.com/docr-dev/docr/docrtest]: a fake DigitalOcean API with a
//     real OCI registry behind it (a local DOCR), for integration tests in
//     Go or, as "docr fake-api", in any language;
//   - the programs: cmd/docr (the CLI), cmd/docker-credential-docr (a
//     Docker credential helper), cmd/docr-credential-provider (a kubelet
//     image credential provider) and cmd/docr-controller (a Kubernetes
//     controller that keeps short-lived pull Secrets fresh).
//
// This file holds the code generation steps. Run "go generate ./..." or
// "make generate" from the module root; both regenerate, from
// spec/registry.yaml and spec/overlay.yaml, the client and models (gen/),
// the server interface the fake implements (docrtest/internal/server) and
// the spec the fake validates against (docrtest/internal/embeddedspec). The
// extracted spec itself is refreshed from an upstream checkout with
// "make spec" or "make bump UPSTREAM=...".
package docr

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config gen/config.yaml spec/registry.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config docrtest/internal/server/config.yaml spec/registry.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config docrtest/internal/embeddedspec/config.yaml spec/registry.yaml
