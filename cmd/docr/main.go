// Command docr gets and uses DigitalOcean Container Registry credentials:
// docker login and logout with expiring, revocable credentials, a Docker
// credential helper, Kubernetes pull Secrets, and a fake API for tests.
//
// Install:
//
//	go install github.com/docr-dev/docr/cmd/docr@latest
//
// Run "docr demo" for a whole journey against the built-in fake API, and
// "docr help" for the commands. Linked or copied as docker-credential-docr,
// the binary is a Docker credential helper; cmd/docker-credential-docr is
// the same helper as a small program of its own, which does not link the
// fake API.
package main

import (
	"os"

	"github.com/docr-dev/docr/internal/programs/cli"
	"github.com/docr-dev/docr/internal/programs/fakecmd"
)

func main() {
	os.Exit(cli.Run(fakecmd.Commands()...))
}
