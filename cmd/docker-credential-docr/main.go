// Command docker-credential-docr is docr's Docker credential helper as a
// small program of its own, the convention for credential helpers: Docker
// runs "docker-credential-docr get" (and store, erase, list) with the
// registry host on stdin whenever config.json's credHelpers name "docr".
// It mints short-lived DigitalOcean Container Registry credentials and
// caches them; see "docr login --helper", the README and package
// internal/programs/credhelper.
//
// Install:
//
//	go install github.com/docr-dev/docr/cmd/docker-credential-docr@latest
//
// It runs on every pull and push, so it links only the client and the
// credential helper protocol: never the fake API, kubesecret or a YAML
// library (internal/testsupport/leandeps checks its dependencies). "docr
// credential-helper ACTION" and docr linked as docker-credential-docr
// behave the same.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/docr-dev/docr/internal/programs/credhelper"
)

func main() { os.Exit(run()) }

func run() int {
	ctx := context.Background()
	// Only erase catches Ctrl-C and SIGTERM: it drops credentials from the
	// cache and then revokes them, and a signal between the two would
	// leave them valid and forgotten, so the signal cancels the wait for
	// the lock but not the revocation. get keeps the default action, which
	// ends it at once: it has nothing to undo (the lock goes with the
	// process, and a credential the API minted but get never stored expires
	// on its own), and a handler would cost every pull a thread, about a
	// tenth of the process's CPU time (bench/startup_test.go).
	if len(os.Args) == 2 && os.Args[1] == credentials.ActionErase {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	return credhelper.Main(ctx, os.Args, nil)
}
