package dockerconfig

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/docr-dev/docr/facade"
)

// update runs mutate on the parsed config under the exclusive lock and writes
// the result if it changed. The directory is created (0700) when missing.
func (w *Writer) update(ctx context.Context, mutate func(d *document, target string) error) (res Result, err error) {
	target, unlock, err := w.lockTarget(ctx, false, func(target string) error {
		for _, dir := range []string{filepath.Dir(w.path), filepath.Dir(target)} {
			if err := mkdirOwned(dir); err != nil {
				return fmt.Errorf("cannot create the Docker config directory: %w", err)
			}
		}
		return w.checkSafe(target)
	})
	res.Path = target
	if err != nil {
		return res, err
	}
	defer unlock()
	w.removeStaleTemps(target)
	orig, fi, err := readConfig(target)
	if err == nil {
		err = w.checkRead(target, fi)
	}
	if err != nil {
		return res, err
	}
	d, err := parseDocument(orig)
	if err != nil {
		return res, withPath(err, target)
	}
	if err := mutate(d, target); err != nil {
		return res, withPath(err, target)
	}
	if !d.changed {
		return res, nil
	}
	out, err := d.encode()
	if err != nil {
		return res, fmt.Errorf("encoding the Docker config: %w", err)
	}
	if res.InPlace, err = w.writeConfig(target, out, orig, fi); err != nil {
		return res, err
	}
	res.Written = true
	return res, nil
}

// read parses the config under a shared lock for Lookup. d is nil when the
// file does not exist; nothing is created then.
func (w *Writer) read(ctx context.Context) (d *document, target string, err error) {
	target, unlock, err := w.lockTarget(ctx, true, func(target string) error {
		if _, err := os.Stat(target); errors.Is(err, fs.ErrNotExist) {
			return errNoConfig // nothing to read, and nothing is created
		}
		return w.checkSafe(target)
	})
	var le *lockError
	switch {
	case errors.Is(err, errNoConfig):
		return nil, target, nil
	case errors.As(err, &le) && (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)):
		// A read-only config directory (e.g. a mounted secret) cannot hold
		// the lock file; every writer replaces the file atomically, so read it
		// unlocked.
		w.log.Debug("reading the Docker config without a lock", "path", target, "reason", cause(err))
		unlock = func() {}
	case err != nil:
		return nil, target, err
	}
	defer unlock()
	orig, fi, err := readConfig(target)
	if err == nil {
		err = w.checkRead(target, fi)
	}
	if err != nil || fi == nil {
		return nil, target, err
	}
	d, err = parseDocument(orig)
	return d, target, withPath(err, target)
}

// Store saves creds: for each host, in the helper credHelpers[host] names,
// else in the credsStore helper, else as plaintext auths[host].auth. A host
// whose secret goes to a helper gets an auths entry without secrets ({}), and
// any old plaintext secret for it is removed from the file.
//
// A missing or failing helper is a *HelperError; docr never falls back to
// plaintext. Credentials stored in helpers before a failure stay there, and
// the file is then not changed. The file is rewritten only if its content
// changes (see Result).
func (w *Writer) Store(ctx context.Context, creds ...facade.Credential) (Result, error) {
	if err := validCredentials(creds); err != nil {
		return Result{}, err
	}
	var stored []Stored
	var plaintext bool
	res, err := w.update(ctx, func(d *document, target string) error {
		for _, c := range creds {
			st, err := w.storeOne(ctx, d, target, c)
			if err != nil {
				return err
			}
			plaintext = plaintext || st.Route == RouteFile
			stored = append(stored, st)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Hosts = stored
	if plaintext {
		w.warnIfReadable(res.Path)
	}
	return res, nil
}

// storeOne stores c in the locked document d of the file target, routed as
// Store says.
func (w *Writer) storeOne(ctx context.Context, d *document, target string, c facade.Credential) (Stored, error) {
	route, name := d.route(c.Host)
	if route == RouteFile {
		if err := d.setPlainAuth(c); err != nil {
			return Stored{}, err
		}
		return Stored{Host: c.Host, Route: route}, nil
	}
	h, err := w.newHelper(ctx, route, name, c.Host, target)
	if err != nil {
		return Stored{}, err
	}
	if err := h.store(c); err != nil {
		return Stored{}, err
	}
	if err := d.setStoreEntry(c.Host); err != nil {
		return Stored{}, err
	}
	return Stored{Host: c.Host, Route: route, Helper: h.prog}, nil
}

// StoreCredentials merges every credential of creds, as the API minted
// them, into the Docker config that opts describe: [New] then
// [Writer.Store], in one call. Like Store it keeps every other entry and
// key of the file, respects credsStore and credHelpers, locks, and never
// leaves a partial file.
func StoreCredentials(ctx context.Context, creds *facade.Credentials, opts Options) (Result, error) {
	if creds == nil {
		return Result{}, errors.New("dockerconfig: nil credentials")
	}
	w, err := New(opts)
	if err != nil {
		return Result{}, err
	}
	return w.Store(ctx, creds.All()...)
}

// ErrNotStored is wrapped by the error of [Writer.Replace] when mint
// succeeded but its credential could not be stored: the caller then owns a
// credential that nothing holds (and should revoke it).
var ErrNotStored = errors.New("dockerconfig: the new credential was not stored")

// Replace logs in to host with a credential minted while the config is
// locked. Under one exclusive lock it looks up the credential stored for
// host (as [Writer.Lookup]), calls mint with it, and stores what mint
// returns (as [Writer.Store]). So concurrent Replace calls on one config,
// from one process or several, run one after another: each sees what the
// previous one stored, and each caller knows exactly which credential it
// replaced (old, found) and may revoke it. mint's credential must be for
// host. If mint fails, nothing is written and its error is returned. If
// storing fails, the error wraps [ErrNotStored].
//
// mint runs with the config locked: other writers of the same config wait
// for it (up to their LockTimeout), so it should be a single API call.
func (w *Writer) Replace(ctx context.Context, host string, mint func(ctx context.Context, old facade.Credential, found bool) (facade.Credential, error)) (res Result, old facade.Credential, found bool, err error) {
	if err := validHost(host); err != nil {
		return Result{}, facade.Credential{}, false, err
	}
	if mint == nil {
		return Result{}, facade.Credential{}, false, errors.New("dockerconfig: Replace: nil mint")
	}
	minted := false
	var st Stored
	res, err = w.update(ctx, func(d *document, target string) error {
		route, name := d.route(host)
		var lerr error
		if route == RouteFile {
			old, found, lerr = d.plainCredential(host)
		} else {
			h, herr := w.newHelper(ctx, route, name, host, target)
			if herr != nil {
				return herr
			}
			old, found, lerr = h.get(host)
		}
		if lerr != nil {
			return lerr
		}
		c, merr := mint(ctx, old, found)
		if merr != nil {
			return &mintError{merr}
		}
		if c.Host != host {
			return &mintError{fmt.Errorf("dockerconfig: Replace: mint returned a credential for %q, not for %q", c.Host, host)}
		}
		if verr := validCredential(c); verr != nil {
			return &mintError{verr}
		}
		minted = true
		st, lerr = w.storeOne(ctx, d, target, c)
		return lerr
	})
	var me *mintError
	switch {
	case errors.As(err, &me):
		return res, old, found, me.err
	case err != nil && minted:
		return res, old, found, fmt.Errorf("%w: %w", ErrNotStored, err)
	case err != nil:
		return res, old, found, err
	}
	res.Hosts = []Stored{st}
	if st.Route == RouteFile {
		w.warnIfReadable(res.Path)
	}
	return res, old, found, nil
}

// mintError carries the error of Replace's mint through update unchanged.
type mintError struct{ err error }

func (e *mintError) Error() string { return e.err.Error() }
func (e *mintError) Unwrap() error { return e.err }

// warnIfReadable warns when a file holding plaintext secrets can be read by
// other users. docr keeps the mode the user chose; it only says so.
func (w *Writer) warnIfReadable(path string) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o044 != 0 {
		w.log.Warn("Docker config holds plaintext credentials and is readable by other users; consider chmod 600 or a credential helper",
			"path", path, "mode", fi.Mode().Perm().String())
	}
}

// Lookup returns the credential for host, read through the same routing as
// Store: from the helper in credHelpers[host] or credsStore, else from
// auths[host] in the file. found is false when there is none. A missing
// config file is not an error. Lookup creates nothing but the lock file
// beside an existing config.
func (w *Writer) Lookup(ctx context.Context, host string) (c facade.Credential, found bool, err error) {
	if err := validHost(host); err != nil {
		return facade.Credential{}, false, err
	}
	d, target, err := w.read(ctx)
	if err != nil || d == nil {
		return facade.Credential{}, false, err
	}
	route, name := d.route(host)
	if route == RouteFile {
		c, found, err = d.plainCredential(host)
		return c, found, withPath(err, target)
	}
	h, err := w.newHelper(ctx, route, name, host, target)
	if err != nil {
		return facade.Credential{}, false, err
	}
	return h.get(host)
}

// Helper returns the credential helper Docker asks for host, following
// Docker's routing (credHelpers[host], then credsStore), without running it:
// the helper's short name (e.g. "desktop") and its route, or "" and
// RouteFile when the secret would be kept in the file. A missing config file
// routes to the file.
func (w *Writer) Helper(ctx context.Context, host string) (name string, route Route, err error) {
	if err := validHost(host); err != nil {
		return "", "", err
	}
	d, _, err := w.read(ctx)
	if err != nil {
		return "", "", err
	}
	if d == nil {
		return "", RouteFile, nil
	}
	route, name = d.route(host)
	return name, route, nil
}

// Remove logs out of hosts: it deletes auths[host] from the file and, for a
// host routed to a helper, erases the helper's credential. It returns the
// removed credentials, passwords included (read from the helper with get, or
// from the file, before erasing), so that the caller can revoke them. A host
// with nothing stored is skipped without error. A missing config file is not
// an error and is not created.
func (w *Writer) Remove(ctx context.Context, hosts ...string) ([]facade.Credential, error) {
	for _, h := range hosts {
		if err := validHost(h); err != nil {
			return nil, err
		}
	}
	target, err := resolveTarget(w.path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(target); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var removed []facade.Credential
	_, err = w.update(ctx, func(d *document, target string) error {
		for _, host := range hosts {
			plain, plainFound, err := d.plainCredential(host)
			if err != nil {
				return err
			}
			route, name := d.route(host)
			if route != RouteFile {
				h, err := w.newHelper(ctx, route, name, host, target)
				if err != nil {
					return err
				}
				got, found, err := h.get(host)
				if err != nil {
					return err
				}
				var known *facade.Credential
				if found {
					known = &got
				}
				if err := h.erase(host, known); err != nil {
					return err
				}
				if found {
					removed = append(removed, got)
					// A stale plaintext copy is returned too (to be revoked), unless it is the same.
					plainFound = plainFound && plain != got
				}
			}
			if plainFound {
				removed = append(removed, plain)
			}
			d.removeEntry(host)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// UnsetCredHelper undoes [Writer.SetCredHelper]: it deletes credHelpers[host]
// if it names helper, and reports whether it did. Another helper, or none,
// leaves the file untouched. A missing config file is not an error and is
// not created.
func (w *Writer) UnsetCredHelper(ctx context.Context, host, helper string) (removed bool, err error) {
	if err := validHost(host); err != nil {
		return false, err
	}
	target, err := resolveTarget(w.path)
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(target); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	_, err = w.update(ctx, func(d *document, _ string) error {
		removed = d.unsetCredHelper(host, helper)
		return nil
	})
	return removed, err
}

// SetCredHelper makes docker (and docr) keep the secret for host in the
// helper docker-credential-<helper>: it sets credHelpers[host] = helper and
// removes any plaintext secret from auths[host] (other fields stay). The
// helper must be in PATH. Call Lookup first to keep (and revoke) a plaintext
// credential that is about to be dropped.
func (w *Writer) SetCredHelper(ctx context.Context, host, helper string) error {
	if err := validHost(host); err != nil {
		return err
	}
	if err := validHelperName(helper); err != nil {
		return fmt.Errorf("dockerconfig: %w", err)
	}
	if _, err := exec.LookPath(helperPrefix + helper); err != nil {
		return &HelperError{Helper: helperPrefix + helper, Action: "find", Host: host,
			Setting: fmt.Sprintf("%s[%q]", keyCredHelpers, host), Path: w.path, Err: exec.ErrNotFound}
	}
	_, err := w.update(ctx, func(d *document, _ string) error {
		if err := d.setCredHelper(host, helper); err != nil {
			return err
		}
		return d.stripEntry(host)
	})
	return err
}
