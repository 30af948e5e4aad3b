package cli

import (
	"context"
	"flag"
	"fmt"
)

// Command is a subcommand that a program adds to docr's own with
// [Main]'s extra argument. cmd/docr adds "fake-api" and "demo" this way
// (package fakecmd), so that internal/programs/cli, which the Docker credential
// helper links, never links the fake API.
type Command struct {
	// Name is what the user types; Args the synopsis after it.
	Name, Args string
	// Summary is one line for 'docr help'; Example is shown by
	// 'docr <name> --help'.
	Summary, Example string
	// Setup registers the command's flags on fs (the global flags are
	// already there) and returns its action, which receives the positional
	// arguments. It is also called for 'docr help <name>', with an action
	// that is never run.
	Setup func(inv *Invocation, fs *flag.FlagSet) func(ctx context.Context, args []string) error
}

// Invocation is what an added [Command] sees of one run of docr: its
// environment and global flags.
type Invocation struct{ a *app }

// Env is the run's environment.
func (inv *Invocation) Env() *Env { return inv.a.env }

// Getenv reads a variable of the run's environment.
func (inv *Invocation) Getenv(key string) string { return inv.a.env.getenv(key) }

// TokenGiven reports whether --token or --token-file was given.
func (inv *Invocation) TokenGiven() bool { return inv.a.token != "" || inv.a.tokenFile != "" }

// Token reads the API token as docr's own commands do: --token,
// --token-file, then $DIGITALOCEAN_TOKEN and $DIGITALOCEAN_ACCESS_TOKEN.
func (inv *Invocation) Token(ctx context.Context) (string, error) { return inv.a.readToken(ctx) }

// Usagef is a usage error (exit code 2) with a formatted message.
func Usagef(format string, args ...any) error { return usagef(format, args...) }

// NoArgs wraps an action that takes no positional arguments: any argument
// is a usage error (exit code 2) naming the command.
func NoArgs(name string, run func(ctx context.Context) error) func(context.Context, []string) error {
	return noArgs(name, run)
}

// command turns an added Command into an entry of the commands table.
func (c *Command) command() *command {
	return &command{
		name:    c.Name,
		args:    c.Args,
		summary: c.Summary,
		example: c.Example,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			if c.Setup == nil {
				return func(context.Context, []string) error {
					return fmt.Errorf("command %s has no action", c.Name)
				}
			}
			return c.Setup(&Invocation{a: a}, fs)
		},
	}
}

// helperMain runs docr linked as docker-credential-docr: the
// credential-helper command (Docker runs the helper with one action and
// no flags).
func helperMain(ctx context.Context, a *app, args []string) int {
	return a.finish(a.runCommand(ctx, credentialHelperCmd(), args))
}
