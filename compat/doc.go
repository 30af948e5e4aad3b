// Package compat holds tests, in a module of their own, that run clients
// docr did not write against the fake DigitalOcean registry API of package
// docrtest: godo, DigitalOcean's official Go client. They prove that the
// fake answers the way such clients expect. Run them with
// "cd compat && go test ./...".
package compat
