package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/programs/credhelper"
)

// helperProgram is the name under which the binary acts as a Docker
// credential helper.
const helperProgram = credhelper.Program

func credentialHelperCmd() *command {
	return &command{
		name:    "credential-helper",
		args:    "get|store|erase|list|version",
		summary: "Act as a Docker credential helper (also when run as docker-credential-docr)",
		example: `  ln -s "$(command -v docr)" "$(dirname "$(command -v docr)")/docker-credential-docr"
  docr login --helper                 # sets credHelpers["registry.digitalocean.com"] = "docr"
  echo registry.digitalocean.com | docker-credential-docr get

` + credhelper.EnvironmentHelp,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if len(args) != 1 {
					return usagef("credential-helper takes one action: get, store, erase, list or version")
				}
				if err := credhelper.CheckAction(args[0]); err != nil {
					return usagef("%v", err)
				}
				return a.credentialHelper(ctx, args[0])
			}
		},
	}
}

// credentialHelper runs one action of the credential helper (package
// credhelper, which writes its answer and failures itself) with what the
// global flags give: --token or --token-file, --api-url and --timeout.
func (a *app) credentialHelper(ctx context.Context, action string) error {
	o := credhelper.Options{Token: a.token, APIURL: a.apiURL, Timeout: a.timeout}
	if action == "get" {
		if err := a.helperFlags(ctx, &o); err != nil {
			var ue *usageError
			if !errors.As(err, &ue) {
				// Docker shows what a helper prints on stdout.
				fmt.Fprintln(a.env.Stdout, "docr: "+errorLine(err))
			}
			return err
		}
	}
	if credhelper.Run(ctx, action, a.helperEnv(), o) != 0 {
		return exitCodeOnly{}
	}
	return nil
}

// helperFlags checks the global flags get uses and reads --token-file.
func (a *app) helperFlags(ctx context.Context, o *credhelper.Options) error {
	if a.timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	if a.apiURL != "" {
		if err := a.checkEndpoint(a.apiURL, "--api-url", facade.EnvAPIURL); err != nil {
			return err
		}
	}
	switch {
	case a.tokenFile == "-":
		return usagef("--token-file - cannot be used with credential-helper: its standard input is Docker's request")
	case a.token == "" && a.tokenFile != "":
		tok, err := a.readToken(ctx)
		if err != nil {
			return err
		}
		o.Token = tok
	}
	return nil
}

// helperErase drops the helper's cached credentials of host and, unless
// noRevoke, revokes them (credhelper.Erase). It returns how many it
// dropped.
func (a *app) helperErase(ctx context.Context, host, revokeURL string, noRevoke bool) (int, error) {
	return credhelper.Erase(ctx, a.helperEnv(), host, credhelper.EraseOptions{
		RevokeURL: revokeURL, NoRevoke: noRevoke, KnownTokens: a.knownTokens(),
	})
}

// helperEnv is the run's environment as the credential helper sees it.
func (a *app) helperEnv() *credhelper.Env {
	return &credhelper.Env{
		Stdin: a.env.Stdin, Stdout: a.env.Stdout, Stderr: a.env.Stderr,
		Getenv: a.env.getenv, Now: a.env.now, Transport: a.env.Transport,
	}
}

// exitCodeOnly fails with exit code 1 without another message.
type exitCodeOnly struct{}

func (exitCodeOnly) Error() string { return "" }
