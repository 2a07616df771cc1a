// Package e2e holds the suite's end-to-end tests: the real devstack,
// handler and trainer binaries, the packaged function app under the local
// Functions host, the local stack and Azurite, driven over HTTP and TLS
// the way CI and admins drive the deployed app. It has no production code.
package e2e
