// Package dockerconfig stores registry credentials in Docker's client
// configuration (config.json) the way docker login does, more carefully.
//
// # Location
//
// The file is config.json in Options.Dir, else in $DOCKER_CONFIG, else in
// ~/.docker (see Path). Symbolic links are followed, including relative and
// dangling ones: the link stays and its target is updated (or created).
//
// # Routing
//
// As in docker, the secret for a host goes to the credential helper named by
// credHelpers[host] if set, else to the one named by credsStore, else into
// the file as auths[host].auth = base64("user:password"). A helper named
// "x" is the program docker-credential-x in PATH, spoken to with the
// docker-credential-helpers protocol (store, get, erase; JSON on stdin and
// stdout). When a helper holds the secret, the file gets an auths[host]
// entry without secrets ({}), as docker writes, and any old plaintext secret
// for that host is removed. A helper that is missing, fails, prints garbage
// or runs longer than Options.HelperTimeout (it is then killed) is an error
// (*HelperError) naming the helper; docr never falls back to plaintext.
//
// # Helper processes
//
// A helper runs with docr's environment minus the variables that hold or
// name the DigitalOcean API token (DIGITALOCEAN_TOKEN,
// DIGITALOCEAN_ACCESS_TOKEN, DOCR_TOKEN_FILE): a credential store has no use
// for them. docr's own helper (credHelpers value "docr") keeps them, as it
// mints with that token. On Unix a helper runs in a process group of its
// own, and its standard streams are pipes that docr reads: its stderr is
// forwarded to Options.HelperStderr (at most 64 KiB a run, then one line
// saying the rest was dropped), so a process the helper starts never holds
// the caller's own stderr. When the caller's context ends or HelperTimeout
// passes, docr kills the whole group, the helper and whatever it started
// that stayed in it; a helper that exits while something it started keeps
// its pipes open is given 2 seconds, then that group is killed too. A
// helper that reads the terminal itself (rather than through an agent, as
// pass does with gpg-agent's pinentry) is stopped by the terminal, being
// outside the foreground process group, and times out.
//
// # Merge rules
//
// docr changes only what it owns: the auths entries of the hosts it is given
// (and credHelpers[host] in SetCredHelper). Every other key keeps its value,
// known or unknown, at any level: proxies, currentContext, HttpHeaders,
// x-anything, other auths entries with all their fields. Within an owned
// entry docr replaces the secret fields (auth, username, password,
// identitytoken, registrytoken, matched without regard to case) so that no
// stale token overrides the new login, and keeps the other fields (email,
// unknown ones). Output is indented with tabs like docker's, keys sorted,
// with a trailing newline, and HTML characters are not escaped. If the
// content would not change the file is not written at all (same inode, same
// modification time).
//
// docr refuses, leaving the file byte-identical, a config that is empty,
// only whitespace, not JSON, not a JSON object (null, arrays), not UTF-8,
// unreadable, a directory or other non-regular file, or that has duplicate
// keys, an "Auths"-like key Docker would read as "auths", or mistyped auths,
// credHelpers or credsStore values. The error (matching ErrInvalidConfig)
// names the path and says "fix or move it". A missing file is created.
//
// # Writing, modes and owner
//
// Writes go to a temporary file in the directory of the real target, which
// is fsynced and renamed over the target; then the directory is fsynced. A
// failure at any step before the rename removes the temporary file and
// leaves the config untouched. A new file gets mode 0600 and a new directory
// 0700. An existing file keeps its mode, even 0644 (the user chose it; docr
// only logs a warning when such a file holds plaintext secrets), and its
// owner and group (so that root updating a user's config does not take it
// over). When running as root, a new file, directory or lock file takes the
// owner of the directory it is created in, so that "sudo docr login" with a
// user's HOME leaves ~/.docker usable by that user. Extended attributes and
// ACLs are not copied, as in docker.
//
// # Whose directory
//
// Before it reads, locks, runs a helper for or writes a config, docr checks
// each directory it would use: the config directory (where config.json, or
// the link to it, is) and, when config.json is a symbolic link, the
// directory of its target, both followed through symbolic links. A
// directory that does not exist yet is created 0700 and passes. Otherwise
// (matching ErrUnsafeConfigDir, with the directory, the reason and the fix
// in the message; nothing is touched):
//
//   - its owner must be the effective user or root, whom no file mode
//     keeps out anyway. Run as root, docr accepts any owner: root updating a
//     user's ~/.docker (sudo with that user's HOME) acts for that user, and
//     keeps that user's ownership (see "Writing, modes and owner").
//   - its group and others must not be able to write in it (chmod go-w):
//     whoever may create, rename or delete names in the directory can plant
//     the config docr reads (choosing its credsStore, its credHelpers and a
//     0666 mode that docr would keep) or swap it between docr's read and
//     write. The one exception is a sticky directory (chmod +t) that belongs
//     to the effective user: others may not rename or delete what is in it,
//     but they may still create names, so config.json there (the file or the
//     link) must belong to the effective user too, checked again under the
//     lock.
//
// Docker's own ~/.docker (created 0700 by docker and by docr) passes, as does
// a DOCKER_CONFIG a CI system created for the job's user with the usual
// umask 022. A directory made with umask 002 (group-writable) or 000 (world-
// writable) is refused until chmod go-w; a shared directory such as /tmp
// itself (sticky, but root's) is refused for users other than root. Parent
// directories are not checked. Where files have no Unix owner and mode
// (Windows) nothing is checked.
//
// # Bind mounts
//
// A config.json that is itself a mount point (e.g. bind-mounted into a
// container) cannot be replaced by rename: the kernel answers EBUSY (or
// EXDEV). docr then rewrites the file in place (write, truncate, fsync;
// a shorter content is padded with spaces first, so the file is valid JSON
// at every step but the write itself), restores the old content if that
// fails, logs a warning and sets Result.InPlace.
//
// # Locking
//
// Each read-modify-write holds an exclusive advisory lock (flock) on a lock
// file beside the file that is really written: config.json.lock, or, when
// config.json is a symbolic link, the target's name plus ".lock" in the
// target's directory. So writers through different links to one file (two
// config directories sharing a config.json) take the same lock, and the
// cleanup of temporary files left by a crash runs under the lock of the
// directory it cleans. If the link is changed while docr waits, the lock is
// taken again beside the new target. The lock file itself is never followed
// through a link (one that is a link is refused). Concurrent docr processes
// and goroutines never lose each other's entries; Lookup takes a shared lock.
// Waiting is bounded by Options.LockTimeout (ErrLockTimeout). The lock file
// is left in place: removing it would race with other lockers. Credential
// helpers run while the lock is held. docker
// itself takes no lock; its writes are atomic renames, so it never sees a
// partial file, but it may overwrite a concurrent change.
//
// # Secrets
//
// No error or log line holds a password, user name or auth value. Helpers'
// stderr goes to Options.HelperStderr only; their stdout is quoted in errors
// only for get and erase, with known secrets redacted, never for store
// (whose input is the secret).
package dockerconfig
