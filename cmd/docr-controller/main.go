// Command docr-controller is a Kubernetes controller that keeps one
// short-lived DigitalOcean Container Registry credential per PullSecret
// (docr.dev/v1alpha1) fresh in every selected namespace, as a
// kubernetes.io/dockerconfigjson Secret, and revokes each credential it
// replaces: one mint per rotation, whatever the number of namespaces.
//
// Install it with kubectl apply -k deploy/ (see docs/controller.md); build
// its image with ko: KO_DOCKER_REPO=registry.digitalocean.com/<registry> ko apply -k deploy/.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/docr-dev/docr/internal/programs/controller"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := controller.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
