//go:build unix

package dockerconfig

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/testsupport/testctx"
)

// twoLinks makes two config directories, a and b, whose config.json are
// relative symbolic links to one shared file holding content.
func twoLinks(t *testing.T, content string) (a, b, shared string) {
	t.Helper()
	root := t.TempDir()
	a, b = filepath.Join(root, "a"), filepath.Join(root, "b")
	shared = filepath.Join(root, "shared", "config.json")
	for _, d := range []string{a, b, filepath.Dir(shared)} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, shared, content, 0o600)
	symlink(t, "../shared/config.json", filepath.Join(a, "config.json"))
	symlink(t, "../shared/config.json", filepath.Join(b, "config.json"))
	return a, b, shared
}

// TestLinksToOneFileShareTheLock (issue 22, item 8): a/config.json and
// b/config.json link to one file. While a writer through a is inside its
// update (its temporary file created, not yet renamed), a writer through b
// must queue on the same lock, not enter its own update: two updates at
// once lose one of them, and the second one's stale-temp cleanup deletes
// the first one's temporary file. The test waits on the writers' steps, not
// on time.
func TestLinksToOneFileShareTheLock(t *testing.T) {
	t.Parallel()
	a, b, shared := twoLinks(t, `{"currentContext":"keep"}`)
	credA := facade.Credential{Host: "a.example", Username: "user-a", Secret: "pw-a"}
	credB := facade.Credential{Host: "b.example", Username: "user-b", Secret: "pw-b"}

	aInside, resumeA := make(chan struct{}), make(chan struct{})
	var aOnce sync.Once
	wa := newWriter(t, a, nil)
	wa.testHook = func(step string) error {
		if step == "tempCreated" {
			aOnce.Do(func() { close(aInside); <-resumeA })
		}
		return nil
	}
	bQueued, bInside := make(chan struct{}, 1), make(chan struct{}, 1)
	wb := newWriter(t, b, nil)
	wb.testHook = func(step string) error {
		switch step {
		case "lockBusy":
			bQueued <- struct{}{}
		case "tempCreated":
			bInside <- struct{}{}
		}
		return nil
	}

	errA, errB := make(chan error, 1), make(chan error, 1)
	go func() { _, err := wa.Store(ctx, credA); errA <- err }()
	select {
	case <-aInside:
	case err := <-errA:
		t.Fatalf("the writer through a ended before its update: %v", err)
	case <-time.After(testctx.HangGuard):
		t.Fatal("the writer through a never reached its update (hang)")
	}
	go func() { _, err := wb.Store(ctx, credB); errB <- err }()
	select {
	case <-bQueued:
	case <-bInside:
		t.Error("the writer through b entered its update while the writer through a was inside its own: the links are locked apart")
	case err := <-errB:
		t.Errorf("the writer through b finished while the writer through a was inside its update (err %v)", err)
	case <-time.After(testctx.HangGuard):
		t.Fatal("the writer through b neither queued nor wrote (hang)")
	}
	close(resumeA)
	for name, ch := range map[string]chan error{"a": errA, "b": errB} {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("Store through %s: %v", name, err)
			}
		case <-time.After(testctx.HangGuard):
			t.Fatalf("Store through %s did not return (hang)", name)
		}
	}
	got := readFile(t, shared)
	auths := authsOf(t, got)
	for _, c := range []facade.Credential{credA, credB} {
		if e, _ := auths[c.Host].(map[string]any); e["auth"] != c.Auth() {
			t.Errorf("%s reported stored but lost:\n%s", c.Host, got)
		}
	}
	if parseConfig(t, got)["currentContext"] != "keep" {
		t.Errorf("other keys lost:\n%s", got)
	}
	if !fileExists(shared + ".lock") {
		t.Error("no lock beside the shared file")
	}
	for _, d := range []string{a, b} {
		if fileExists(filepath.Join(d, "config.json.lock")) {
			t.Errorf("a lock beside the link in %s", d)
		}
	}
	assertNoTemp(t, filepath.Dir(shared))
}

// TestConcurrentWritersThroughTwoLinks (issue 22, item 8): goroutines and
// processes write through a/config.json and b/config.json, two links to one
// file, all at once. Every host reported stored is in the file.
func TestConcurrentWritersThroughTwoLinks(t *testing.T) {
	t.Parallel()
	a, b, shared := twoLinks(t, `{}`)
	const goroutines, processes = 8, 2 // per link
	type job struct {
		dir, host string
		process   bool // a process of its own, else a goroutine
	}
	var jobs []job
	for _, dir := range []string{a, b} {
		for i := range goroutines + processes {
			jobs = append(jobs, job{dir, fmt.Sprintf("%s%d.example", filepath.Base(dir), i), i >= goroutines})
		}
	}
	start := make(chan struct{})
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for _, j := range jobs {
		if j.process {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envChild+"=store", envChildHost+"="+j.host, "DOCKER_CONFIG="+j.dir)
			var out syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			wg.Go(func() {
				<-start
				if err := cmd.Run(); err != nil {
					errs <- fmt.Errorf("process storing %s: %v: %s", j.host, err, out.String())
				}
			})
			continue
		}
		wg.Go(func() {
			<-start
			w, err := New(Options{Dir: j.dir, LockTimeout: time.Minute})
			if err == nil {
				_, err = w.Store(ctx, facade.Credential{Host: j.host, Username: "user", Secret: "pw-" + j.host})
			}
			if err != nil {
				errs <- fmt.Errorf("storing %s: %w", j.host, err)
			}
		})
	}
	close(start)
	testctx.Within(t.Fatal, "the writers", func() struct{} { wg.Wait(); return struct{}{} })
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := readFile(t, shared)
	auths := authsOf(t, got)
	for _, j := range jobs {
		if e, _ := auths[j.host].(map[string]any); e["auth"] != b64("user:pw-"+j.host) {
			t.Errorf("%s (through %s) lost", j.host, filepath.Base(j.dir))
		}
	}
	if len(auths) != len(jobs) {
		t.Errorf("%d hosts, want %d:\n%s", len(auths), len(jobs), got)
	}
	for _, d := range []string{a, b} {
		if fi, err := os.Lstat(filepath.Join(d, "config.json")); err != nil || fi.Mode().Type() != os.ModeSymlink {
			t.Errorf("%s/config.json is no longer a link: %v", d, err)
		}
	}
	assertNoTemp(t, filepath.Dir(shared))
}
