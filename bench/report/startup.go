package main

import "fmt"

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
	r.target("start-up: cached `docker-credential-docr get`, CPU vs the floor", "≤ 1.30x",
		fmt.Sprintf("%s (docr linked as the helper: %s)", ratio(helper, floor), ratio(r.res.med(name, "docr-link-cpu-ns/op"), floor)),
		helper <= 1.3*floor)
}
