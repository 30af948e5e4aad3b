package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/docr-dev/docr/docrtest"
)

// registryStorages are BenchmarkRegistryPushPull's storages, in report order.
var registryStorages = []struct{ name, what string }{
	{"memory", "blobs in memory"},
	{"dir", "blobs in a directory"},
}

// registryCaps are BenchmarkFakeMemoryUnderCap's storage caps in MiB.
var registryCaps = []int{64, 128}

// gateBudget is the most the fake's token flow may cost: gated throughput
// at least this share of the bare engine's.
const gateBudget = 0.90

// registry reports the registry group: push-and-pull throughput of the
// bare registry engine and of the fake through DOCR's token flow per
// storage, and the fake's peak RSS under a storage cap.
func (r *report) registry() {
	const b = "BenchmarkRegistryPushPull/"
	r.p("## 9. The fake's registry\n\n")
	r.p("Push then pull of a 100 MB single-layer image (an uncompressed layer, so gzip is not measured) on loopback with ")
	r.p("go-containerregistry's client (`BenchmarkRegistryPushPull`). **bare**: the fake's registry engine (`docrtest/ociregistry`) served open; ")
	r.p("**gated**: the docrtest fake, the same engine behind DOCR's token flow (a token from `/v2/registry/auth`, checked on every request), ")
	r.p("pushing and pulling with a credential the fake issued. ")
	r.p("Each op starts a fresh registry (untimed), so that the push really uploads; MB/s (10⁶ bytes per second) counts the layer once per push-and-pull.\n\n")
	r.stat("registry")
	r.p("| registry | %s |\n|---|%s\n", strings.Join(func() []string {
		var s []string
		for _, st := range registryStorages {
			s = append(s, st.what)
		}
		return s
	}(), " | "), strings.Repeat("---|", len(registryStorages)))
	for _, impl := range []struct{ name, what string }{
		{"bare", "`docrtest/ociregistry`, open"},
		{"gated", "docrtest fake (the same engine, through the token flow)"},
	} {
		r.p("| %s |", impl.what)
		for _, st := range registryStorages {
			name := b + impl.name + "/" + st.name
			r.p(" %s (%s) |", mbps(r.res.med(name, "MB/s")), plural(r.res.n(name, "MB/s"), "run"))
		}
		r.p("\n")
	}
	r.p("| CPU per push and pull, gated / bare |")
	for _, st := range registryStorages {
		r.p(" %s |", ratio(r.res.med(b+"gated/"+st.name, "cpu-ms/op"), r.res.med(b+"bare/"+st.name, "cpu-ms/op")))
	}
	r.p("\n")
	r.p("| gated / bare |")
	var got []string
	met := true
	for _, st := range registryStorages {
		gated, bare := r.res.med(b+"gated/"+st.name, "MB/s"), r.res.med(b+"bare/"+st.name, "MB/s")
		r.p(" %s |", ratio(gated, bare))
		got = append(got, fmt.Sprintf("%s %s", st.name, ratio(gated, bare)))
		// NaN compares false: a missing figure misses the target.
		met = met && gated >= gateBudget*bare
	}
	r.p("\n\n")
	r.p("The target is the fake through the token flow at least %.0f%% of the bare engine's throughput, per storage.\n\n", 100*gateBudget)
	r.target("registry: push+pull 100 MB, fake through the token flow vs bare engine (MB/s)", fmt.Sprintf("≥ %.2fx (the flow costs under 10%%)", gateBudget), strings.Join(got, ", "), met)

	const m = "BenchmarkFakeMemoryUnderCap/cap="
	headroom := float64(docrtest.ServeMemoryHeadroom >> 20)
	r.p("The fake's memory under a storage cap (`BenchmarkFakeMemoryUnderCap`): `docrtest.Serve`, as `docr fake-api` runs it, ")
	r.p("in a child process; distinct 16 MiB images pushed until the cap refuses one, then all pulled back. Peak RSS is the child's `VmHWM`, ")
	r.p("RSS at start its `VmRSS` before the first push. `Serve` sets the Go memory limit to the cap plus %.0f MiB ", headroom)
	r.p("(`docrtest.ServeMemoryHeadroom`) unless `GOMEMLIMIT` is set; the memory limit governs the Go heap, not what the process ")
	r.p("holds before any content (binary, runtime), so the bound used for the target is cap + %.0f MiB + RSS at start.\n\n", headroom)
	r.p("| cap | stored | RSS at start | peak RSS | peak minus cap | bound |\n|---|---|---|---|---|---|\n")
	var mem []string
	memMet := true
	for _, c := range registryCaps {
		name := fmt.Sprintf("%s%dMiB", m, c)
		start, peak := r.res.med(name, "start-rss-MiB"), r.res.med(name, "peak-rss-MiB")
		bound := float64(c) + headroom + start
		r.p("| %d MiB | %s | %s | %s | %s | %s |\n", c, mib(r.res.med(name, "stored-MiB")), mib(start), mib(peak),
			mib(r.res.med(name, "peak-over-cap-MiB")), mib(bound))
		mem = append(mem, fmt.Sprintf("cap %d MiB: peak %s, bound %s", c, mib(peak), mib(bound)))
		memMet = memMet && peak <= bound
	}
	r.p("\n")
	r.target("registry: fake's peak RSS under a storage cap", fmt.Sprintf("≤ cap + %.0f MiB + RSS at start", headroom), strings.Join(mem, "; "), memMet)
}

func mbps(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MB/s", v)
}

func mib(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", v)
}

// registryReading is the reading's bullet on the fake's registry.
func (r *report) registryReading() {
	const b = "BenchmarkRegistryPushPull/"
	var parts []string
	for _, st := range registryStorages {
		gated, bare := r.res.med(b+"gated/"+st.name, "MB/s"), r.res.med(b+"bare/"+st.name, "MB/s")
		parts = append(parts, fmt.Sprintf("%s %s vs %s (%s)", st.what, mbps(gated), mbps(bare), ratio(gated, bare)))
	}
	r.p("- **Registry.** A 100 MB push and pull, the fake through the token flow vs the bare engine: %s. ", strings.Join(parts, "; "))
	r.p("Both registries run in the benchmark's process and share the machine with it, so the ratios, not the MB/s, carry across runs and machines. ")
	var over []string
	for _, c := range registryCaps {
		over = append(over, fmt.Sprintf("%s over a %d MiB cap", mib(r.res.med(fmt.Sprintf("BenchmarkFakeMemoryUnderCap/cap=%dMiB", c), "peak-over-cap-MiB")), c))
	}
	r.p("Under a storage cap the fake's peak RSS was %s.\n", strings.Join(over, ", "))
}
