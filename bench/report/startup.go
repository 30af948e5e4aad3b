package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// startupProgs are BenchmarkStartup's programs, in report order.
var startupProgs = []struct{ name, what string }{
	{"hello", "hello-world (`bench/footprint/hello`)"},
	{"floor", "floor: net/http, crypto/tls, encoding/json, one small file read, one line printed (`bench/footprint/floor`)"},
	{"helper", "`docker-credential-docr get`, cached (`cmd/docker-credential-docr`)"},
	{"docr-link", "the same get through `docr` linked as docker-credential-docr (the whole CLI, fake API included)"},
}

// startup reports BenchmarkStartup: CPU per start of each program and the
// helper/floor target.
func (r *report) startup() {
	const name = "BenchmarkStartup"
	r.p("## 7. Start-up of the credential helper\n\n")
	r.p("Docker runs the credential helper on every pull and push, so its whole-process cost matters more than any call inside it. ")
	r.p("`BenchmarkStartup` starts each program below once per op, interleaved and in rotating order, and adds up the CPU time ")
	r.p("(user+sys of the child, from `os.ProcessState`) of each. The helper's cache is primed against the docrtest fake before the ")
	r.p("timed loop, and the benchmark fails if any timed get called the API. Each value is the mean over one run's starts ")
	r.p("(a single start's user/sys has the kernel's tick resolution); the table gives medians of the runs.\n\n")
	r.stat("startup")
	r.p("| program | CPU per start (median of runs) | vs floor |\n|---|---|---|\n")
	floor := r.res.med(name, "floor-cpu-ns/op")
	for _, p := range startupProgs {
		v := r.res.med(name, p.name+"-cpu-ns/op")
		r.p("| %s | %s | %s |\n", p.what, ns(v), ratio(v, floor))
	}
	helper := r.res.med(name, "helper-cpu-ns/op")
	perRun := r.res.med(name, "helper/floor")
	r.p("\nhelper/floor: %s from the medians; median of the per-run ratios %.2fx (%s).\n\n", ratio(helper, floor), perRun, plural(r.res.n(name, "helper/floor"), "run"))
	// Issue 20's target: the helper on its own package, without
	// kubesecret, YAML or a signal handler on get.
	r.target("start-up: cached `docker-credential-docr get`, CPU vs the floor", "≤ 1.10x",
		fmt.Sprintf("%s (docr linked as the helper: %s)", ratio(helper, floor), ratio(r.res.med(name, "docr-link-cpu-ns/op"), floor)),
		helper <= 1.1*floor)
}

// action is one entry of go build -debug-actiongraph's output.
type action struct {
	Mode      string
	Package   string
	Cmd       []string
	TimeStart time.Time
	TimeDone  time.Time
}

// actionTimes reads an action graph from the work dir and returns the
// actions go build ran (compiles and the link), longest first, and their
// total. It returns nil if the file is absent or unreadable.
func (r *report) actionTimes(name string) ([]action, time.Duration) {
	data, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		return nil, 0
	}
	var all []action
	if json.Unmarshal(data, &all) != nil {
		return nil, 0
	}
	var ran []action
	var total time.Duration
	for _, a := range all {
		if len(a.Cmd) > 0 && !a.TimeStart.IsZero() && a.TimeDone.After(a.TimeStart) {
			ran = append(ran, a)
			total += a.TimeDone.Sub(a.TimeStart)
		}
	}
	slices.SortFunc(ran, func(a, b action) int {
		return cmp.Compare(b.TimeDone.Sub(b.TimeStart), a.TimeDone.Sub(a.TimeStart))
	})
	return ran, total
}

// buildProfile lists where the build above the floor goes, per program.
func (r *report) buildProfile() {
	for _, prog := range []string{"docr", "godo"} {
		ran, total := r.actionTimes("ag-" + prog + ".json")
		if len(ran) == 0 {
			continue
		}
		r.p("Build above the floor, %s: the actions go build ran in the last round (`-debug-actiongraph`; wall time of each, two at a time on two cores; sum %s):\n\n```\n", prog, ns(float64(total)))
		for _, a := range ran[:min(len(ran), 12)] {
			d := a.TimeDone.Sub(a.TimeStart)
			r.p("%8s %5.1f%%  %s %s\n", ns(float64(d)), 100*float64(d)/float64(total), a.Mode, a.Package)
		}
		r.p("```\n\n")
	}
}

// provider reports BenchmarkProviderProcess: CPU per process of the
// kubelet credential provider against its floor program, and the target.
func (r *report) provider() {
	const name = "BenchmarkProviderProcess"
	r.p("## 8. The kubelet credential provider, whole process\n\n")
	r.p("A kubelet runs `docr-credential-provider` for an image whose credentials it has not cached, so, like the Docker helper, ")
	r.p("its cost is a whole process. `BenchmarkProviderProcess` runs it as the kubelet does (a `CredentialProviderRequest` on stdin, ")
	r.p("only the environment of its `CredentialProviderConfig`: a token file and the API URL) with one API round trip to the docrtest fake, ")
	r.p("against the floor program `bench/provider_floor` (net/http, crypto/tls, encoding/json: it reads the token file, makes the same ")
	r.p("request and prints one line). Both are built with plain `go build`. The two alternate in rotating order; CPU is user+sys of ")
	r.p("each child (`os.ProcessState`), wall time includes the round trip. Each run reports the medians over its processes and their ")
	r.p("ratio; the table gives medians of the runs.\n\n")
	r.stat("provider")
	floor, prov := r.res.med(name, "floor-cpu-ms"), r.res.med(name, "provider-cpu-ms")
	r.p("| program | CPU per process | wall per process | vs floor (CPU) |\n|---|---|---|---|\n")
	r.p("| floor (`bench/provider_floor`) | %s | %s | 1.00x |\n", ns(floor*1e6), ns(r.res.med(name, "floor-wall-ms")*1e6))
	r.p("| `docr-credential-provider` | %s | %s | %s |\n", ns(prov*1e6), ns(r.res.med(name, "provider-wall-ms")*1e6), ratio(prov, floor))
	perRun := r.res.med(name, "cpu-ratio")
	r.p("\nprovider/floor: median of the per-run ratios %.2fx (%s; each ratio is of two medians measured in the same run), %s from the medians above.\n\n",
		perRun, plural(r.res.n(name, "cpu-ratio"), "run"), ratio(prov, floor))
	r.target("kubelet provider: whole `docr-credential-provider` process, CPU vs the floor", "≤ 1.30x",
		fmt.Sprintf("%.2fx (%s vs %s)", perRun, ns(prov*1e6), ns(floor*1e6)), perRun <= 1.3)
}

// processReading is the reading's bullet on the two per-pull programs.
func (r *report) processReading() {
	helper, floor := r.res.med("BenchmarkStartup", "helper-cpu-ns/op"), r.res.med("BenchmarkStartup", "floor-cpu-ns/op")
	prov, pfloor := r.res.med("BenchmarkProviderProcess", "provider-cpu-ms"), r.res.med("BenchmarkProviderProcess", "floor-cpu-ms")
	r.p("- **Per-pull programs.** A cached `docker-credential-docr get` costs %s of CPU per start, %s its floor's %s; ", ns(helper), ratio(helper, floor), ns(floor))
	r.p("a whole `docr-credential-provider` process, API round trip included, %s, %s its floor's %s (median of the per-run ratios %.2fx). ",
		ns(prov*1e6), ratio(prov, pfloor), ns(pfloor*1e6), r.res.med("BenchmarkProviderProcess", "cpu-ratio"))
	r.p("The floors measure what any Go program with net/http, crypto/tls and encoding/json pays to start and do similar I/O; ")
	r.p("what docr adds per pull is the difference: %s for the helper, %s for the provider.\n", ns(helper-floor), ns((prov-pfloor)*1e6))
}
