package bench

import (
	"context"
	"testing"
)

// BenchmarkCredentials measures one Docker-credentials round trip against
// the same loopback server, in the same process:
//
//   - raw: net/http GET, io.ReadAll, json.Unmarshal into map[string]any —
//     the least any client can do;
//   - docr: facade.Client.DockerCredentials with its defaults: the request
//     built by gen's NewRegistryGetDockerCredentialsRequest, auth and retry
//     layers, body limit, status check, decoding into gen.DockerCredentials
//     and base64 decoding into typed credentials;
//   - godo: godo.NewFromToken (its default go-retryablehttp stack) and
//     Registry.DockerCredentials, result decoded into map[string]any as raw;
//   - godo-noretry: godo.New over a plain oauth2 client, for reference.
//
// The server's work is part of every ns/op, so ratios understate the
// difference between the clients themselves. cpu-ns/op is the CPU time of
// the whole process (user and system, server and GC included) per call: on
// a shared machine, where ns/op also counts the time spent waiting for a
// CPU, it is the steadier figure.
func BenchmarkCredentials(b *testing.B) {
	srv := newAPIServer(b, false)
	impls := []struct {
		name string
		c    caller
	}{
		{"raw", newRawClient(srv.URL, freshTransport())},
		{"docr", newDocrClient(b, srv.URL, nil)},
		{"godo", newGodoDefault(srv.URL)},
		{"godo-noretry", newGodo(b, srv.URL, freshTransport(), 0)},
	}
	ctx := context.Background()
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			// One warm-up call opens the connection outside the timing.
			if _, err := impl.c.call(ctx); err != nil {
				b.Fatal(err)
			}
			cpu0 := processCPU(b)
			for b.Loop() {
				if _, err := impl.c.call(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
		impl.c.close()
	}
}
