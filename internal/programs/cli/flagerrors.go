package cli

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"strings"
)

// Errors about the command line name the flag that is wrong and why, and
// never repeat a value: a token pasted after the wrong flag (or as a flag)
// would otherwise be printed, and the flag package quotes every value it
// refuses ("invalid value %q for flag -timeout").

// flagFailure records the flag whose value was refused, and what it wants.
type flagFailure struct{ name, want string }

// errRefusedValue is what a guarded flag's Set returns: parseFlags reports
// the flag from its flagFailure instead.
var errRefusedValue = errors.New("refused value")

// guardedValue wraps a flag's Value: a value it refuses is recorded by the
// flag's name, not kept.
type guardedValue struct {
	flag.Value
	name, want string
	failed     *flagFailure
}

func (v *guardedValue) Set(s string) error {
	if err := v.Value.Set(s); err != nil {
		*v.failed = flagFailure{name: v.name, want: v.want}
		return errRefusedValue
	}
	return nil
}

// String is nil-safe: the flag package calls it on a zero Value.
func (v *guardedValue) String() string {
	if v == nil || v.Value == nil {
		return ""
	}
	return v.Value.String()
}

// guardedBool keeps a bool flag a bool flag ("--read-only" takes no value).
type guardedBool struct{ guardedValue }

func (v *guardedBool) IsBoolFlag() bool { return true }

// innerValue is the Value a guard wraps, or v itself.
func innerValue(v flag.Value) flag.Value {
	switch g := v.(type) {
	case *guardedValue:
		return g.Value
	case *guardedBool:
		return g.Value
	}
	return v
}

// parseFlags parses args with fs as fs.Parse does, but an error never
// holds a value from args: it names the flag and what the flag wants, or
// the unknown flag when its name looks like one.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var failed flagFailure
	fs.VisitAll(func(f *flag.Flag) {
		if innerValue(f.Value) != f.Value {
			return
		}
		typ, _ := flag.UnquoteUsage(&flag.Flag{Value: f.Value})
		g := guardedValue{Value: f.Value, name: f.Name, want: wantOf(typ), failed: &failed}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			f.Value = &guardedBool{g}
		} else {
			f.Value = &g
		}
	})
	fs.Usage = func() {} // the caller prints usage; the default would print values
	err := fs.Parse(args)
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return err
	case failed.name != "":
		return fmt.Errorf("invalid value for --%s: want %s (the value is not repeated, in case it is a secret)", failed.name, failed.want)
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return fmt.Errorf("unknown flag %s", showFlag(name))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return fmt.Errorf("%s needs a value", showFlag(name))
	}
	if strings.HasPrefix(msg, "bad flag syntax") {
		return errors.New("a malformed flag (not repeated, in case it is a secret)")
	}
	return errors.New("invalid flags (not repeated, in case they hold a secret)")
}

// wantOf says what a flag of the type flag.UnquoteUsage names wants.
func wantOf(typ string) string {
	switch typ {
	case "":
		return "true or false"
	case "duration":
		return "a duration such as 30s or 2m"
	case "int", "uint":
		return "a whole number"
	case "float":
		return "a number"
	}
	return "a valid value"
}

// showFlag shows a flag name from an error of the flag package ("-name")
// as --name when it looks like one (at most 32 of a-z and '-', starting
// with a letter), else says that it is not shown: a token typed as a flag
// is never echoed.
func showFlag(dashed string) string {
	name := strings.TrimLeft(dashed, "-")
	ok := name != "" && len(name) <= 32 && name[0] >= 'a' && name[0] <= 'z'
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c >= 'a' && c <= 'z' || c == '-'
	}
	if ok {
		return "--" + name
	}
	return "(not shown: it does not look like a flag name)"
}

// tokenFileError is err, from reading the token file at path (given by
// src: "--token-file" or "$DOCR_TOKEN_FILE"). When no file by that name
// could be opened, the path is not repeated: the commonest mistake is the
// token itself given where a file name was expected. Once a file was
// opened, its path is a path, and errors about it (its mode, its content)
// name it.
func tokenFileError(err error, path, src string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return fmt.Errorf("%s: cannot open the file: %w (the path is not repeated, in case it is a token: %s names a file holding the token)", src, pe.Err, src)
	}
	return err
}
