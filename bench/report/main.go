// Command report turns the outputs of bench/run.sh into BENCHMARKS.md: the
// machine, the benchstat tables, the ratios against the baseline and the
// peers, each target marked met or missed, and a reading of the numbers.
//
//	go run ./report -dir <run.sh work dir> -o ../BENCHMARKS.md
//
// The work dir holds, per group, <group>.txt (go test -bench output) and
// <group>.stat (benchstat's summary of it), plus conntest.txt (the output
// of TestConnReuse) and params.txt (how run.sh ran).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	dir := flag.String("dir", "", "directory with run.sh's outputs")
	out := flag.String("o", "../BENCHMARKS.md", "file to write")
	flag.Parse()
	if *dir == "" {
		log.Fatal("report: -dir is required")
	}
	r := &report{dir: *dir, res: results{}}
	for _, g := range groups {
		if err := r.res.parse(filepath.Join(*dir, g+".txt")); err != nil {
			log.Fatalf("report: %v", err)
		}
	}
	md := r.render()
	if err := os.WriteFile(*out, md, 0o644); err != nil {
		log.Fatalf("report: %v", err)
	}
}

// groups are the result files run.sh writes, in report order.
var groups = []string{"credentials", "conns", "mergefile", "mergemem", "fsync", "paging", "footprint", "generate", "startup", "provider", "registry"}

// results maps a benchmark name (GOMAXPROCS suffix removed) and a unit to
// the values of every run.
type results map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

func (res results) parse(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		if res[name] == nil {
			res[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	return sc.Err()
}

// med returns the median of name's unit, NaN if absent.
func (res results) med(name, unit string) float64 {
	vs := slices.Clone(res[name][unit])
	if len(vs) == 0 {
		return math.NaN()
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

func (res results) n(name, unit string) int { return len(res[name][unit]) }

type report struct {
	dir string
	res results
	b   bytes.Buffer
	// targets collects the target table rows as they are computed.
	targets [][4]string
}

func (r *report) p(format string, args ...any) { fmt.Fprintf(&r.b, format, args...) }

func (r *report) target(what, want, got string, met bool) {
	r.targets = append(r.targets, [4]string{what, want, got, verdict(met)})
}

func verdict(met bool) string {
	if met {
		return "**met**"
	}
	return "**missed**"
}

func (r *report) file(name string) string {
	data, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		return "(missing: " + name + ")"
	}
	return strings.TrimRight(string(data), "\n")
}

func (r *report) stat(group string) {
	r.p("```\n%s\n```\n\n", r.file(group+".stat"))
}

// Formatting helpers.
func ns(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v >= 1e9:
		return fmt.Sprintf("%.2f s", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f µs", v/1e3)
	}
	return fmt.Sprintf("%.0f ns", v)
}

func bytesize(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case math.Abs(v) >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case math.Abs(v) >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func (r *report) render() []byte {
	params := parseParams(r.file("params.txt"))
	r.p("# docr benchmarks\n\n")
	r.p("Produced by `bench/run.sh` (`make bench`) on %s; do not edit by hand, re-run it. ", params["date"])
	r.p("The benchmarks are in the separate Go module `bench/` (so godo and docker/cli never enter docr's go.mod); ")
	r.p("each comparison runs in one process against the same loopback server. Medians of the runs are used for ratios; ")
	r.p("the tables are benchstat's (median, ±95%% confidence interval; `~` = no significant difference).\n\n")

	r.machine(params)
	targetsAt := r.b.Len()
	credentials := r.credentials()
	conns := r.conns()
	merge := r.merge()
	paging := r.paging()
	footprint := r.footprint()
	r.generate()
	r.startup()
	r.provider()
	r.registry()
	r.reading(credentials, conns, merge, paging, footprint)

	// Insert the target summary after the machine section.
	var t bytes.Buffer
	t.WriteString("## Targets\n\n| target | wanted | measured | |\n|---|---|---|---|\n")
	for _, row := range r.targets {
		fmt.Fprintf(&t, "| %s | %s | %s | %s |\n", row[0], row[1], row[2], row[3])
	}
	t.WriteString("\n")
	out := r.b.Bytes()
	return slices.Concat(out[:targetsAt], t.Bytes(), out[targetsAt:])
}

func parseParams(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

func (r *report) machine(params map[string]string) {
	cpu := "unknown"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown"
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				mem = fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	kernel := "unknown"
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		kernel = strings.TrimSpace(string(out))
	}
	r.p("## Machine\n\n| | |\n|---|---|\n")
	r.p("| CPUs (nproc) | %s |\n", orDefault(params["nproc"], strconv.Itoa(runtime.NumCPU())))
	r.p("| CPU model | %s |\n", cpu)
	r.p("| memory | %s |\n", mem)
	r.p("| kernel | %s |\n", kernel)
	r.p("| Go | %s |\n", orDefault(params["go"], runtime.Version()))
	r.p("| file system of the temp dir (fsync) | %s |\n", orDefault(params["fs"], "unknown"))
	r.p("| date | %s |\n", params["date"])
	r.p("| run | %s |\n", params["run"])
	r.p("| wall time of run.sh | %s |\n\n", params["duration"])
	r.p("The machine is shared and small; absolute times are only comparable within one run. ")
	r.p("Compare ratios, not nanoseconds, across runs.\n\n")
	r.load(params)
}

// load shows the 1-minute load average before and after each benchmark
// group and warns about groups that ran while other work competed for the
// CPUs (their times are then unreliable; allocations and heap figures are
// not affected).
func (r *report) load(params map[string]string) {
	nproc, _ := strconv.ParseFloat(orDefault(params["nproc"], strconv.Itoa(runtime.NumCPU())), 64)
	var rows, busy []string
	for _, line := range strings.Split(r.file("load.txt"), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		a, _ := strconv.ParseFloat(f[1], 64)
		b, _ := strconv.ParseFloat(f[2], 64)
		rows = append(rows, fmt.Sprintf("%s %s→%s", f[0], f[1], f[2]))
		// The benchmarks themselves keep up to about two CPUs busy.
		if max(a, b) > nproc+1 {
			busy = append(busy, f[0])
		}
	}
	if len(rows) == 0 {
		return
	}
	r.p("1-minute load average before→after each group: %s.", strings.Join(rows, ", "))
	if len(busy) > 0 {
		r.p(" **Other work competed for the CPUs during: %s**; the times of those groups are unreliable (allocations, connection counts and heap figures are not), re-run when the machine is quiet.", strings.Join(busy, ", "))
	}
	r.p("\n\n")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

type credResult struct{ raw, docr, godo, godoNoRetry, rawA, docrA, godoA float64 }

func (r *report) credentials() credResult {
	const b = "BenchmarkCredentials/impl="
	c := credResult{
		raw: r.res.med(b+"raw", "ns/op"), docr: r.res.med(b+"docr", "ns/op"),
		godo: r.res.med(b+"godo", "ns/op"), godoNoRetry: r.res.med(b+"godo-noretry", "ns/op"),
		rawA: r.res.med(b+"raw", "allocs/op"), docrA: r.res.med(b+"docr", "allocs/op"), godoA: r.res.med(b+"godo", "allocs/op"),
	}
	r.p("## 1. Credentials round trip\n\n")
	r.p("One `GET /v2/registry/docker-credentials` against an `httptest` server that answers a realistic config ")
	r.p("(one host, a 71-character token as user and password) with `ratelimit-*` headers. ")
	r.p("**raw**: `net/http` GET + `io.ReadAll` + `json.Unmarshal` into `map[string]any` (the least any client can do). ")
	r.p("**docr**: `facade.Client.DockerCredentials` with its defaults (auth and retry layers, body limit, status check, ")
	r.p("parsing and base64-decoding into typed credentials). **godo**: `godo.NewFromToken` (its default go-retryablehttp stack) ")
	r.p("and `Registry.DockerCredentials`, result decoded into `map[string]any` like raw. **godo-noretry**: godo over a plain ")
	r.p("oauth2 client, for reference. Server work (in the same process) is included in every number.\n\n")
	r.stat("credentials")
	r.p("| ratio | ns/op | B/op | allocs/op |\n|---|---|---|---|\n")
	for _, row := range []struct{ name, other string }{{"docr / raw", "raw"}, {"docr / godo", "godo"}, {"docr / godo-noretry", "godo-noretry"}} {
		r.p("| %s | %s | %s | %s |\n", row.name,
			ratio(c.docr, r.res.med(b+row.other, "ns/op")),
			ratio(r.res.med(b+"docr", "B/op"), r.res.med(b+row.other, "B/op")),
			ratio(c.docrA, r.res.med(b+row.other, "allocs/op")))
	}
	r.p("\n")
	r.target("credentials: docr vs raw", "≤ 1.15x ns/op", ratio(c.docr, c.raw), c.docr <= 1.15*c.raw)
	r.target("credentials: docr vs godo", "≤ 1.10x allocs/op", fmt.Sprintf("%.2fx (%.0f vs %.0f)", c.docrA/c.godoA, c.docrA, c.godoA), c.docrA <= 1.10*c.godoA)
	return c
}

type connResult struct {
	docr map[string]float64 // by retry label
	all  map[string]float64
	test string
	ok   bool
}

func (r *report) conns() connResult {
	const b = "BenchmarkConnReuse/"
	c := connResult{docr: map[string]float64{}, all: map[string]float64{}}
	r.p("## 2. Connection reuse\n\n")
	r.p("1,000 sequential calls per client (new transport per run), server answering 75%% 200, 10%% 404 and 10%% 500 ")
	r.p("with JSON error bodies, 5%% 500 with a 1.2 KiB HTML page; new connections counted with `http.Server.ConnState` ")
	r.p("(`StateNew`). retry=off: every error reaches the caller; retry=on: 500s are retried after 1–2 ms ")
	r.p("(docr `RetryPolicy{BaseDelay: 1ms}`, godo `RetryConfig{RetryMax: 3, RetryWaitMin: 0.001}`), so the bodies of ")
	r.p("retried answers must be drained too. ns/op is per 1,000 calls.\n\n")
	r.stat("conns")
	r.p("| client | conns per 1,000 calls (median) |\n|---|---|\n")
	var names []string
	for name := range r.res {
		if strings.HasPrefix(name, b) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		v := r.res.med(name, "conns/1000calls")
		label := strings.TrimPrefix(name, b)
		c.all[label] = v
		if strings.HasPrefix(label, "impl=docr/") {
			c.docr[label] = v
		}
		r.p("| %s | %.0f |\n", label, v)
	}
	c.test = r.file("conntest.txt")
	c.ok = strings.Contains(c.test, "\nok ") || strings.HasPrefix(c.test, "ok ") || strings.Contains(c.test, "--- PASS: TestConnReuse ")
	c.ok = c.ok && !strings.Contains(c.test, "--- FAIL")
	r.p("\n`TestConnReuse` (asserts docr == 1 with and without retries): **%s**.\n\n", map[bool]string{true: "PASS", false: "FAIL"}[c.ok])
	r.p("<details><summary>TestConnReuse output</summary>\n\n```\n%s\n```\n</details>\n\n", c.test)
	allOne := len(c.docr) > 0
	var got []string
	for _, label := range sortedKeys(c.docr) {
		got = append(got, fmt.Sprintf("%s: %.0f", strings.TrimPrefix(label, "impl=docr/"), c.docr[label]))
		if c.docr[label] != 1 {
			allOne = false
		}
	}
	r.target("connections: docr, 1,000 calls incl. 404/500", "exactly 1", strings.Join(got, ", "), allOne && c.ok)
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

type mergeRow struct {
	n                               int
	docr, cli, syncOn, syncOff      float64
	fsync, docrNoSync, memD, memCLI float64
}

var mergeNs = []int{10, 1000, 10000}

func (r *report) merge() []mergeRow {
	r.p("## 3. Config merge (docker login's file update)\n\n")
	r.p("An existing config.json with N `auths` entries (one of them the host being logged in to, some with `email` ")
	r.p("or unknown fields), `credHelpers` for other hosts, `proxies`, `HttpHeaders`, `plugins` and unknown `x-*` keys. ")
	r.p("One op stores a new password for one host.\n\n")
	r.p("- **docr** (`MergeFile`): `dockerconfig.Writer.Store`: flock on config.json.lock, read, parse keeping every ")
	r.p("unknown key verbatim, set the entry, encode, temp file, **fsync**, rename, **fsync the directory**.\n")
	r.p("- **dockercli** (`MergeFile`): docker/cli `config.Load` + `AuthConfigs[host] = …` (what its file store's `Store` does) + ")
	r.p("`ConfigFile.Save`: temp file + rename; no lock, **no fsync**, unknown keys **dropped** (so after its first op it ")
	r.p("rewrites a slightly smaller file).\n")
	r.p("- `MergeMemory`: the same without files: `dockerconfig.Merge` vs `LoadFromReader` + `SaveToWriter` into a buffer ")
	r.p("— the CPU-only comparison.\n")
	r.p("- `Fsync`: docr's file steps alone (temp file of the size docr writes, write, close, rename) with and without its two ")
	r.p("fsyncs; **fsync share = sync=true − sync=false**. dockerconfig has no public switch to turn fsync off, so docr ")
	r.p("\"without fsync\" below is docr's median minus that share (an estimate, not a measurement).\n\n")
	r.p("### MergeFile\n\n")
	r.stat("mergefile")
	r.p("### MergeMemory\n\n")
	r.stat("mergemem")
	r.p("### Fsync\n\n")
	r.stat("fsync")
	var rows []mergeRow
	r.p("| N | docr | docker/cli | fsync share | docr without fsync | docr/cli | docr/cli without fsync | in memory docr/cli |\n")
	r.p("|---|---|---|---|---|---|---|---|\n")
	for _, n := range mergeNs {
		m := mergeRow{n: n,
			docr:    r.res.med(fmt.Sprintf("BenchmarkMergeFile/impl=docr/n=%d", n), "ns/op"),
			cli:     r.res.med(fmt.Sprintf("BenchmarkMergeFile/impl=dockercli/n=%d", n), "ns/op"),
			syncOn:  r.res.med(fmt.Sprintf("BenchmarkFsync/n=%d/sync=true", n), "ns/op"),
			syncOff: r.res.med(fmt.Sprintf("BenchmarkFsync/n=%d/sync=false", n), "ns/op"),
			memD:    r.res.med(fmt.Sprintf("BenchmarkMergeMemory/impl=docr/n=%d", n), "ns/op"),
			memCLI:  r.res.med(fmt.Sprintf("BenchmarkMergeMemory/impl=dockercli/n=%d", n), "ns/op"),
		}
		m.fsync = max(0, m.syncOn-m.syncOff)
		m.docrNoSync = m.docr - m.fsync
		rows = append(rows, m)
		r.p("| %d | %s | %s | %s (%.0f%% of docr) | %s | %s | %s | %s |\n", n, ns(m.docr), ns(m.cli), ns(m.fsync), 100*m.fsync/m.docr,
			ns(m.docrNoSync), ratio(m.docr, m.cli), ratio(m.docrNoSync, m.cli), ratio(m.memD, m.memCLI))
	}
	r.p("\nGrowth with N (time per entry; linear means constant):\n\n")
	r.p("| N | docr without fsync, per entry | docker/cli, per entry | docr in memory, per entry | docker/cli in memory, per entry |\n|---|---|---|---|---|\n")
	for _, m := range rows {
		f := float64(m.n)
		r.p("| %d | %s | %s | %s | %s |\n", m.n, ns(m.docrNoSync/f), ns(m.cli/f), ns(m.memD/f), ns(m.memCLI/f))
	}
	r.p("\n")
	last, mid := rows[len(rows)-1], rows[len(rows)-2]
	r.target("merge at 10k: docr (fsync excluded) vs docker/cli", "≤ 1.00x", ratio(last.docrNoSync, last.cli)+
		fmt.Sprintf(" (in memory %s)", ratio(last.memD, last.memCLI)), last.docrNoSync <= last.cli)
	growth := (last.docrNoSync / float64(last.n)) / (mid.docrNoSync / float64(mid.n))
	growthMem := (last.memD / float64(last.n)) / (mid.memD / float64(mid.n))
	r.target("merge: docr linear in N", "per-entry time at 10k ≤ 1.3x that at 1k",
		fmt.Sprintf("%.2fx (in memory %.2fx)", growth, growthMem), growth <= 1.3 && growthMem <= 1.3)
	return rows
}

type pagingRow struct {
	n                                 int
	live, peak, alloc, page, body, ns float64
	sLive, sPeak                      float64
}

var pagingNs = []int{10000, 50000, 100000}

// pagingConst is the constant allowed on top of 2 pages in the paging
// target: the client, its connection's buffers and the iterator's state.
const pagingConst = 64 << 10

func (r *report) paging() []pagingRow {
	r.p("## 4. Paging\n\n")
	r.p("`Client.Repositories` over a registry of N repositories (each with one tagged manifest, so every item carries ")
	r.p("`latest_manifest`) served by the docrtest fake at 100 per page. The fake runs in a child process so that only ")
	r.p("the client's memory is measured. **iter**: docr's iterator, nothing kept. **slice**: the same items collected ")
	r.p("into a slice first. Heap figures are relative to the heap before the loop:\n\n")
	r.p("- `live-B`: largest live heap at a page boundary (GC forced at the first item of every page in iter mode; of ")
	r.p("~100 pages and after the last item in slice mode);\n")
	r.p("- `peak-B`: largest heap in use (`/memory/classes/heap/objects`, i.e. HeapAlloc: live objects plus garbage ")
	r.p("not yet collected), read at every item, before any forced GC. In iter mode, with a GC per page, it is the ")
	r.p("page's working set plus everything the page allocated;\n")
	r.p("- `alloc/page-B`: bytes allocated per page; `page-B`: one page's 100 items decoded into `[]gen.RepositoryV2`; ")
	r.p("`body-B`: one page's JSON.\n\n")
	r.p("ns/op is mostly the fake's time (it sorts all N repositories for every page), not docr's.\n\n")
	r.stat("paging")
	var rows []pagingRow
	r.p("| N | iter live | iter peak | slice live | slice peak | one page decoded | page body | allocated per page (iter) |\n|---|---|---|---|---|---|---|---|\n")
	for _, n := range pagingNs {
		it := fmt.Sprintf("BenchmarkPaging/mode=iter/n=%d", n)
		sl := fmt.Sprintf("BenchmarkPaging/mode=slice/n=%d", n)
		p := pagingRow{n: n,
			live: r.res.med(it, "live-B"), peak: r.res.med(it, "peak-B"), alloc: r.res.med(it, "alloc/page-B"),
			page: r.res.med(it, "page-B"), body: r.res.med(it, "body-B"), ns: r.res.med(it, "ns/op"),
			sLive: r.res.med(sl, "live-B"), sPeak: r.res.med(sl, "peak-B"),
		}
		rows = append(rows, p)
		r.p("| %d | %s | %s | %s | %s | %s | %s | %s |\n", n, bytesize(p.live), bytesize(p.peak), bytesize(p.sLive), bytesize(p.sPeak),
			bytesize(p.page), bytesize(p.body), bytesize(p.alloc))
	}
	r.p("\n")
	var lives, peaks []float64
	page := rows[0].page
	for _, p := range rows {
		lives, peaks = append(lives, p.live), append(peaks, p.peak)
		page = max(page, p.page)
	}
	flat := func(vs []float64) float64 { return slices.Max(vs) / slices.Min(vs) }
	bound := 2*page + pagingConst
	r.p("Bound used for the target: 2 × one decoded page + 64 KiB = %s.\n\n", bytesize(bound))
	r.target("paging: iterator heap flat in N (10k→100k)", "max/min ≤ 1.25",
		fmt.Sprintf("live %.2fx, peak %.2fx", flat(lives), flat(peaks)), flat(lives) <= 1.25 && flat(peaks) <= 1.25)
	r.target("paging: retained heap ≤ 2 pages + 64 KiB", "≤ "+bytesize(bound),
		fmt.Sprintf("live %s (%.1f pages)", bytesize(slices.Max(lives)), slices.Max(lives)/page), slices.Max(lives) <= bound)
	r.target("paging: peak heap in use ≤ 2 pages + 64 KiB", "≤ "+bytesize(bound),
		fmt.Sprintf("peak %s (%.1f pages)", bytesize(slices.Max(peaks)), slices.Max(peaks)/page), slices.Max(peaks) <= bound)
	return rows
}

type footRow struct{ pkgs, mods, req, sum, bin, build, buildCPU float64 }

func (r *report) footprint() map[string]footRow {
	r.p("## 5. Footprint of a minimal program\n\n")
	r.p("`bench/footprint/docr` and `bench/footprint/godo` each get read-only Docker credentials and print them (`bench/footprint.sh`); ")
	r.p("`bench/footprint/floor` is the floor they stand on: it links only net/http, crypto/tls and encoding/json, reads a small file and prints a line. ")
	r.p("pkgs / modules: non-standard packages and their modules linked (`go list -deps`, the program itself excluded); ")
	r.p("go.mod requires / go.sum lines: a fresh user module holding only that program after `go mod tidy`; ")
	r.p("binary: `go build -trimpath -ldflags='-s -w'`; cold build: `go build` with an empty `GOCACHE` ")
	r.p("(standard library included), wall time and CPU time (user+sys of `go build` and the compilers it runs), median of the rounds (order rotated).\n\n")
	m := map[string]footRow{}
	r.p("| program | packages | modules | go.mod requires | go.sum lines | binary | cold build | cold build CPU |\n|---|---|---|---|---|---|---|---|\n")
	for _, prog := range []string{"floor", "docr", "godo"} {
		name := "BenchmarkFootprint/prog=" + prog
		f := footRow{r.res.med(name, "pkgs"), r.res.med(name, "modules"), r.res.med(name, "req"), r.res.med(name, "sum"),
			r.res.med(name, "bin-B"), r.res.med(name, "build-ns"), r.res.med(name, "build-cpu-ns")}
		m[prog] = f
		r.p("| %s | %.0f | %.0f | %.0f | %.0f | %s | %s (%s) | %s |\n", prog, f.pkgs, f.mods, f.req, f.sum, bytesize(f.bin), ns(f.build), plural(r.res.n(name, "build-ns"), "run"), ns(f.buildCPU))
	}
	d, g, fl := m["docr"], m["godo"], m["floor"]
	r.p("\nRatios docr/godo: modules %s, binary %s, cold build %s.\n\n", ratio(d.mods, g.mods), ratio(d.bin, g.bin), ratio(d.build, g.build))
	r.p("Differences of the full cold builds above the floor: docr %s, godo %s (wall); docr %s, godo %s (CPU).\n\n", ns(d.build-fl.build), ns(g.build-fl.build), ns(d.buildCPU-fl.buildCPU), ns(g.buildCPU-fl.buildCPU))
	// Measured directly: each program built with a copy of a GOCACHE that
	// holds only the floor's cold build.
	above := func(prog, unit string) float64 { return r.res.med("BenchmarkFootprintAboveFloor/prog="+prog, unit) }
	dA, gA, dAW, gAW := above("docr", "above-cpu-ns"), above("godo", "above-cpu-ns"), above("docr", "above-ns"), above("godo", "above-ns")
	r.p("Measured directly, the build above the floor (each program built with a copy of a `GOCACHE` that holds only the floor's cold build: ")
	r.p("what the program compiles beyond the floor, its link included), median of %s: ", plural(r.res.n("BenchmarkFootprintAboveFloor/prog=docr", "above-cpu-ns"), "round"))
	r.p("docr %s CPU (%s wall), godo %s CPU (%s wall); docr/godo %s CPU, %s wall.\n\n", ns(dA), ns(dAW), ns(gA), ns(gAW), ratio(dA, gA), ratio(dAW, gAW))
	r.p("<details><summary>footprint.sh output</summary>\n\n```\n%s\n```\n</details>\n\n", r.file("footprint.txt"))
	r.target("footprint: modules of the minimal program", "fewer than godo", fmt.Sprintf("%.0f vs %.0f", d.mods, g.mods), d.mods < g.mods)
	// CPU time decides: the wall time of a cold build on a shared machine
	// depends on what else runs.
	r.target("cold build above the floor: docr vs godo (CPU)", "≤ 0.50x",
		fmt.Sprintf("%s (%s vs %s; wall %s)", ratio(dA, gA), ns(dA), ns(gA), ratio(dAW, gAW)),
		dA <= 0.5*gA)
	r.buildProfile()
	return m
}

func (r *report) generate() {
	name := "BenchmarkGenerate"
	r.p("## 6. Code generation\n\n")
	r.p("Wall time of `make generate` (`go generate ./...`: oapi-codegen over spec/registry.yaml and the overlay) ")
	r.p("with a warm build cache, after one warm-up run: median %s of %d runs (min %s, max %s). ",
		ns(r.res.med(name, "ns/op")), r.res.n(name, "ns/op"), ns(slices.Min(r.res[name]["ns/op"])), ns(slices.Max(r.res[name]["ns/op"])))
	r.p("%s\n\n", r.file("generate.note"))
}

// profile reads one of run.sh's profile summaries: lines of a value (with
// an optional % or B unit) and a function name. Values of the same name are
// not repeated; the first one wins.
func (r *report) profile(name string) map[string]float64 {
	m := map[string]float64{}
	for _, line := range strings.Split(r.file(name), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
		if err != nil {
			continue
		}
		fn := f[len(f)-1]
		if _, ok := m[fn]; !ok {
			m[fn] = v
		}
	}
	return m
}

// find returns the value of the first function whose name contains sub.
func find(m map[string]float64, sub string) float64 {
	for _, k := range sortedKeys(m) {
		if strings.Contains(k, sub) {
			return m[k]
		}
	}
	return 0
}

// profiles shows where docr's own time and allocations go, as run.sh
// measured them in this run.
func (r *report) profiles() {
	r.p("## Profiles of docr's side (this run)\n\n")
	r.p("Where the numbers above come from, for whoever improves them (`go test -bench X -cpuprofile/-memprofile` in bench/, then `go tool pprof`):\n\n")
	for _, f := range []string{"cred.prof.txt", "merge.prof.txt", "paging.prof.txt"} {
		r.p("```\n%s\n```\n\n", r.file(f))
	}
}

func (r *report) reading(c credResult, conns connResult, merge []mergeRow, paging []pagingRow, foot map[string]footRow) {
	r.p("## Reading\n\n")
	r.p("- **Credentials.** docr takes %s the time of the bare net/http baseline and %s of godo's default client ", ratio(c.docr, c.raw), ratio(c.docr, c.godo))
	r.p("(%s vs %s and %s per call). Every call includes the loopback round trip and the server's work, shared by all clients, ", ns(c.docr), ns(c.raw), ns(c.godo))
	r.p("so the client's own overhead is the difference to raw: %s. ", ns(c.docr-c.raw))
	r.p("On this shared 2-core machine single runs vary by tens of percent; the benchstat table says which differences are significant. ")
	r.p("docr allocates %.0f times per call vs %.0f for raw and %.0f for godo (server allocations included in all three). ", c.docrA, c.rawA, c.godoA)
	r.p("docr does more than godo per call (typed parse, base64 decode and split of each auth, body limit, error typing), ")
	r.p("while godo returns the body as bytes and the benchmark decodes it into a map.")
	if c.docrA >= c.godoA || c.docr > 1.15*c.raw {
		cp := r.profile("cred.prof.txt")
		var parts []string
		add := func(v float64, format string, args ...any) {
			if v >= 0.5 {
				parts = append(parts, fmt.Sprintf(format, append([]any{v}, args...)...))
			}
		}
		add(find(cp, "gen.New"), "the generated request builder %.0f (it parses the server URL and formats each query parameter by reflection on every call)")
		add(find(cp, "setRequestCancel"), "`http.Client.Timeout` %.0f (net/http's per-request timer and context)")
		add(find(cp, "facade.ParseCredentials"), "`ParseCredentials` %.0f (`json.Unmarshal` %.0f of them)", find(cp, "encoding/json.Unmarshal"))
		add(find(cp, "Request).Clone"), "the auth layer's request clone %.0f")
		add(find(cp, "canonicalMIMEHeaderKey"), "header names looked up in lower case %.0f (`Header.Get(\"ratelimit-limit\")` canonicalizes, and allocates, on every call)")
		if len(parts) > 0 {
			r.p(" Where docr's own allocations go, per call (profile below): %s.", strings.Join(parts, "; "))
		}
	}
	r.p("\n")
	r.p("- **Connections.** ")
	var godoConns []string
	for _, k := range sortedKeys(conns.all) {
		if strings.HasPrefix(k, "impl=godo/") {
			godoConns = append(godoConns, fmt.Sprintf("%s: %.0f", strings.TrimPrefix(k, "impl=godo/"), conns.all[k]))
		}
	}
	docrConns := make([]string, 0, len(conns.docr))
	for _, k := range sortedKeys(conns.docr) {
		docrConns = append(docrConns, fmt.Sprintf("%s: %.0f", strings.TrimPrefix(k, "impl=docr/"), conns.docr[k]))
	}
	r.p("New connections per 1,000 calls with 404 and 500 answers (JSON and HTML bodies) among them: docr %s; godo %s. ",
		strings.Join(docrConns, ", "), strings.Join(godoConns, ", "))
	r.p("One means every response body, error bodies and those of retried answers included, was read to the end and closed, ")
	r.p("so the keep-alive connection stayed usable.\n")
	last := merge[len(merge)-1]
	r.p("- **Config merge.** At 10,000 entries docr takes %s vs docker/cli %s; its two fsyncs cost %s there ", ns(last.docr), ns(last.cli), ns(last.fsync))
	r.p("(%.0f%% of docr's time at N=10, where the file is tiny, %.0f%% at 10k). ", 100*merge[0].fsync/merge[0].docr, 100*last.fsync/last.docr)
	r.p("Without them docr is %s docker/cli, and %s in memory. ", ratio(last.docrNoSync, last.cli), ratio(last.memD, last.memCLI))
	r.p("docr does more per byte than docker/cli on purpose (duplicate-key detection, keeping unknown keys verbatim, ")
	r.p("no loss of fields) and docker/cli does work docr skips (base64-decoding and re-encoding every entry); ")
	r.p("fsync is the price of a config that survives a crash, and is constant in N up to the file size's write-back cost.")
	if last.docrNoSync > last.cli || last.memD > last.memCLI {
		mp := r.profile("merge.prof.txt")
		r.p(" In docr's CPU profile of `Merge` at 10k, parsing takes %.0f%% and encoding %.0f%%: ", find(mp, "parseDocument"), find(mp, "document).encode"))
		r.p("`json.Unmarshal` (%.0f%%) is a validation pass over the whole file before the token-by-token `decodeObject` parse (%.0f%%) reads it again, ",
			find(mp, "encoding/json.Unmarshal"), find(mp, "decodeObject"))
		r.p("and `marshal` of the auths map (%.0f%%) compacts every entry into one raw value that the final indented `Encode` then compacts and indents again ",
			find(mp, "dockerconfig.marshal"))
		r.p("(`appendCompact` %.0f%%, `appendIndent` %.0f%%). docr thus scans the file several times (a validation pass, token-by-token passes over the top level and again over auths, two compactions, the indent) where docker/cli decodes it once and encodes it once.", find(mp, "appendCompact"), find(mp, "appendIndent"))
	}
	r.p("\n")
	var pl []string
	for _, p := range paging {
		pl = append(pl, fmt.Sprintf("%dk: %s live / %s peak", p.n/1000, bytesize(p.live), bytesize(p.peak)))
	}
	lastP := paging[len(paging)-1]
	r.p("- **Paging.** The iterator's heap does not grow with N (%s), while collecting into a slice grows to %s at %dk. ",
		strings.Join(pl, ", "), bytesize(lastP.sLive), lastP.n/1000)
	r.p("Retained memory is about one decoded page (%s) plus the client; the in-use peak is dominated by what each page allocates ", bytesize(lastP.page))
	r.p("(%s per page for a %s body, %.1fx the decoded page), i.e. garbage that the next GC frees. With Go's default GC pacing ", bytesize(lastP.alloc), bytesize(lastP.body), lastP.alloc/lastP.page)
	r.p("the process heap sits at the 4 MiB GC floor regardless of N.")
	if pp := r.profile("paging.prof.txt"); lastP.peak > 2*lastP.page+pagingConst && find(pp, "facade.decodePage") > 0 && find(pp, "gen.Parse") > 0 {
		r.p(" Per page, the generated `Parse…Response` allocates %s (`io.ReadAll` of the body %s, growing by doubling, plus decoding `JSON200`, ",
			bytesize(find(pp, "gen.ParseRegistriesListRepositoriesV2Response")), bytesize(find(pp, "io.ReadAll")))
		r.p("which the facade never uses), then the facade's `decodePage` decodes the same body twice more (%s, including a `json.RawMessage` copy of the items, %s).",
			bytesize(find(pp, "facade.decodePage")), bytesize(find(pp, "RawMessage")))
	}
	r.p("\n")
	d, g := foot["docr"], foot["godo"]
	r.p("- **Footprint.** The minimal docr program links %.0f non-standard packages from %.0f modules (godo: %.0f from %.0f); ", d.pkgs, d.mods, g.pkgs, g.mods)
	r.p("its stripped binary is %s (godo %s). Its cold build takes %s vs %s (single builds on this machine vary by ±20%%). ", bytesize(d.bin), bytesize(g.bin), ns(d.build), ns(g.build))
	r.p("Most of either is the standard library, which the floor program measures alone; above it, docr's own share is dominated by package gen, ")
	r.p("the generated client and models (the strict server the fake uses is generated into the fake's own package), which every user compiles whole even though a client links only what it calls.\n")
	r.processReading()
	r.registryReading()
	r.p("\n")
	r.profiles()
	r.p("\n---\nGenerated %s by bench/report.\n", time.Now().UTC().Format(time.RFC3339))
}
