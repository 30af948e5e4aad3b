// Package fakeapiprocess tests a real "docr fake-api" process end to end,
// with docr built as a user builds it (no race detector):
//
//   - TestOCIConformance runs the OCI distribution-spec conformance suite
//     (github.com/opencontainers/distribution-spec/conformance): pull, push,
//     content discovery and content management, with upload cancellation
//     and tag parameters on, as a read-write Docker credential that
//     "docr docker-config --read-write" minted from the fake, so that every
//     request goes through DOCR's token flow. It fails below a pass rate
//     that can only move up (make ociconformance).
//   - TestSoak is the hostile-use soak of issue 22 under --storage-cap
//     64MiB: 10,000 unauthenticated requests with 1 MiB bodies, 10,000 with
//     512 KiB headers, 1,000 abandoned 4 MiB uploads; the process's RSS
//     stays under the cap plus 96 MiB, and a push and a pull work
//     afterwards (make soak).
package fakeapiprocess
