// Command docker-credential-docr is docr's Docker credential helper as a
// small program of its own, the convention for credential helpers: Docker
// runs "docker-credential-docr get" (and store, erase, list) with the
// registry host on stdin whenever config.json's credHelpers name "docr".
// It mints short-lived DigitalOcean Container Registry credentials and
// caches them; see "docr login --helper" and the README.
//
// Install:
//
//	go install github.com/docr-dev/docr/cmd/docker-credential-docr@latest
//
// It runs on every pull and push, so it links only the client: never the
// fake API, kin-openapi, jsonschema or package testing (a test checks its
// dependencies). "docr credential-helper ACTION" and docr linked as
// docker-credential-docr behave the same.
package main

import (
	"os"

	"github.com/docr-dev/docr/internal/programs/cli"
)

func main() {
	os.Exit(cli.RunHelper())
}
