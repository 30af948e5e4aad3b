package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"

	"github.com/docr-dev/docr/dockerconfig"
	"github.com/docr-dev/docr/facade"
)

// mergeSizes are the numbers of auths entries in the existing config.json.
var mergeSizes = []int{10, 1000, 10000}

// loginHost is the host every benchmark logs in to; the existing config
// already holds an older credential for it (a re-login, the common case).
const loginHost = "registry.digitalocean.com"

// loginPasswords alternate between iterations so that every store changes
// the file (docr skips the write when nothing changes).
var loginPasswords = [2]string{
	"dop_v1_1111111111111111111111111111111111111111111111111111111111111111",
	"dop_v1_2222222222222222222222222222222222222222222222222222222222222222",
}

// existingConfig returns a config.json with n auths entries (one of them
// loginHost), some with an email, plus keys docker knows (credHelpers for
// other hosts, proxies, HttpHeaders, currentContext, plugins) and keys it
// does not (x-*, an unknown field in an entry). Tab-indented like docker's.
func existingConfig(tb testing.TB, n int) []byte {
	tb.Helper()
	auths := make(map[string]any, n)
	auths[loginHost] = map[string]any{"auth": base64.StdEncoding.EncodeToString([]byte("old:old-password"))}
	for i := 1; i < n; i++ {
		e := map[string]any{"auth": base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "user%05d:password-%05d-abcdefghijklmnopqrstuvwxyz", i, i))}
		if i%10 == 0 {
			e["email"] = fmt.Sprintf("user%05d@example.com", i)
		}
		if i%100 == 0 {
			e["x-team"] = "platform"
		}
		auths[fmt.Sprintf("registry-%05d.example.com", i)] = e
	}
	doc := map[string]any{
		"auths":          auths,
		"credHelpers":    map[string]string{"123456789012.dkr.ecr.us-east-1.amazonaws.com": "ecr-login", "gcr.io": "gcloud"},
		"HttpHeaders":    map[string]string{"X-Meta-Team": "platform"},
		"currentContext": "default",
		"proxies":        map[string]any{"default": map[string]string{"httpProxy": "http://proxy.example.com:3128", "noProxy": "localhost,127.0.0.1"}},
		"plugins":        map[string]any{"buildx": map[string]string{"hooks": "build"}},
		"x-corp-policy":  map[string]any{"owner": "it@example.com", "rules": []any{"no-latest", map[string]any{"max-age-days": 30}}},
		"x-unknown-flag": true,
	}
	data, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		tb.Fatal(err)
	}
	return append(data, '\n')
}

func writeConfig(tb testing.TB, dir string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkMergeFile is one login's config.json update, files included:
//
//   - docr: dockerconfig.Writer.Store: lock config.json.lock, read, parse
//     keeping every unknown key verbatim, set auths[host], encode, write a
//     temp file, fsync it, rename, fsync the directory;
//   - dockercli: docker/cli config.Load, set AuthConfigs[host] (what its
//     file store's Store does) and ConfigFile.Save: temp file and rename,
//     no lock, no fsync, unknown keys dropped.
//
// See BenchmarkFsync for the part of docr's time that is fsync.
func BenchmarkMergeFile(b *testing.B) {
	ctx := context.Background()
	for _, n := range mergeSizes {
		data := existingConfig(b, n)
		b.Run(fmt.Sprintf("impl=docr/n=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			writeConfig(b, dir, data)
			w, err := dockerconfig.New(dockerconfig.Options{Dir: dir})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				res, err := w.Store(ctx, facade.Credential{Host: loginHost, Username: "dop", Secret: loginPasswords[i%2]})
				if err != nil {
					b.Fatal(err)
				}
				if !res.Written {
					b.Fatal("config not written")
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("impl=dockercli/n=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			writeConfig(b, dir, data)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				cf, err := config.Load(dir)
				if err != nil {
					b.Fatal(err)
				}
				cf.GetAuthConfigs()[loginHost] = types.AuthConfig{Username: "dop", Password: loginPasswords[i%2], ServerAddress: loginHost}
				if err := cf.Save(); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkMergeMemory is the same update without files: docr's pure
// dockerconfig.Merge vs docker/cli's LoadFromReader + SaveToWriter into a
// buffer. This is the CPU part of the comparison, free of I/O and fsync.
func BenchmarkMergeMemory(b *testing.B) {
	for _, n := range mergeSizes {
		data := existingConfig(b, n)
		b.Run(fmt.Sprintf("impl=docr/n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				out, changed, err := dockerconfig.Merge(data, facade.Credential{Host: loginHost, Username: "dop", Secret: loginPasswords[i%2]})
				if err != nil || !changed || len(out) == 0 {
					b.Fatal(err, changed)
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("impl=dockercli/n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var buf bytes.Buffer
			i := 0
			for b.Loop() {
				cf := configfile.New("")
				if err := cf.LoadFromReader(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
				cf.GetAuthConfigs()[loginHost] = types.AuthConfig{Username: "dop", Password: loginPasswords[i%2], ServerAddress: loginHost}
				buf.Reset()
				if err := cf.SaveToWriter(&buf); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkFsync isolates the cost of docr's durability: it does the file
// steps of docr's write (temp file in the same directory, write the bytes
// docr writes for that n, close, rename over config.json) with sync=true
// adding docr's two fsyncs (the temp file, then the directory) and
// sync=false without them. fsync share = sync=true - sync=false.
func BenchmarkFsync(b *testing.B) {
	for _, n := range mergeSizes {
		out, _, err := dockerconfig.Merge(existingConfig(b, n), facade.Credential{Host: loginHost, Username: "dop", Secret: loginPasswords[0]})
		if err != nil {
			b.Fatal(err)
		}
		for _, sync := range []bool{true, false} {
			b.Run(fmt.Sprintf("n=%d/sync=%t", n, sync), func(b *testing.B) {
				dir := b.TempDir()
				target := filepath.Join(dir, "config.json")
				writeConfig(b, dir, out)
				b.SetBytes(int64(len(out)))
				b.ReportAllocs()
				for b.Loop() {
					if err := replaceFile(dir, target, out, sync); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func replaceFile(dir, target string, data []byte, sync bool) error {
	f, err := os.CreateTemp(dir, ".config.json.tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), target); err != nil {
		return err
	}
	if !sync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
