// Command docr-credential-provider is a kubelet image credential provider
// for the DigitalOcean Container Registry. The kubelet runs it with a
// CredentialProviderRequest on stdin; it answers on stdout with read-only,
// expiring credentials for the registry the image names.
//
// Install it into the kubelet's --image-credential-provider-bin-dir:
//
//	GOBIN=/usr/local/lib/kubelet/credential-providers go install github.com/docr-dev/docr/cmd/docr-credential-provider@latest
//
// See docs/kubelet-credential-provider.md for the CredentialProviderConfig.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/docr-dev/docr/internal/programs/kubeletprovider"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := kubeletprovider.Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
