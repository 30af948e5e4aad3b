// Package ociconformance runs the OCI distribution-spec conformance suite
// (github.com/opencontainers/distribution-spec/conformance) against a real
// "docr fake-api" process: pull, push, content discovery and content
// management, with upload cancellation and tag parameters on, as a
// read-write Docker credential that "docr docker-config --read-write"
// minted from the fake, so that every request goes through DOCR's token
// flow. TestOCIConformance fails below a pass rate that can only move up.
//
// Run it with make ociconformance, or go test ./... here.
package ociconformance
