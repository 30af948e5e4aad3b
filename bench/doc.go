// Package bench holds docr's benchmarks against a raw net/http baseline and
// against its peers, godo (DigitalOcean's handwritten client) and docker/cli's
// configfile. It is a separate Go module so that the peers never enter docr's
// own go.mod.
//
// Run everything and regenerate ../BENCHMARKS.md with run.sh (make bench);
// run single benchmarks with go test, e.g.
//
//	go test -run '^$' -bench 'Credentials' -count 6 .
//
// The benchmarks:
//
//   - BenchmarkCredentials: one Docker-credentials round trip (raw, docr, godo).
//   - BenchmarkConnReuse, TestConnReuse: new TCP connections per 1,000 calls,
//     error answers included.
//   - BenchmarkMergeFile, BenchmarkMergeMemory, BenchmarkFsync: config.json
//     update with 10 to 10,000 entries, docr vs docker/cli, and the fsync
//     share of docr's time.
//   - BenchmarkPaging: heap while iterating 10k to 100k repositories from the
//     docrtest fake (run in a child process so that its memory is not counted).
//   - BenchmarkStartup, TestStartupPrograms: CPU time of one start of a
//     cached docker-credential-docr get against a floor program and a
//     hello-world program (footprint/floor, footprint/hello).
//   - BenchmarkProviderProcess, TestProviderProcess: CPU time of a whole
//     docr-credential-provider process (the kubelet credential provider,
//     with its API round trip) against a floor program (provider_floor).
//   - BenchmarkRegistryPushPull, BenchmarkFakeMemoryUnderCap: push and pull
//     of a 100 MB image through go-containerregistry's bare registry and
//     through the gated docrtest fake, blobs in memory and in a directory;
//     the fake's peak RSS under a storage cap.
//
// footprint.sh compares minimal programs (footprint/docr, footprint/godo,
// and the floor, footprint/floor), cold builds included; report/ turns the
// results into BENCHMARKS.md.
package bench
