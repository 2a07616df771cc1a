package redact

import "testing"

// benchLine is a typical log line: nothing to redact, some URLs and keys.
const benchLine = `{"level":"info","invocation_id":"0f4c2a1e-1111-2222-3333-444455556666","function":"KeyVaultSecretRotationHttp","component":"rotation","reason":"forced","secret_version":"3f2a9c","url":"https://kv-frog.vault.azure.net/secrets/artifactory-access-token-secret/","status":200,"duration_ms":412,"message":"token rotated"}`

// BenchmarkString measures one log line through String; compare with
// BenchmarkOldScrub in the commit before this package (logging.Scrub).
func BenchmarkString(b *testing.B) {
	String(benchLine)
	b.SetBytes(int64(len(benchLine)))
	for b.Loop() {
		String(benchLine)
	}
}

// BenchmarkUpstream measures one upstream error message through Upstream.
func BenchmarkUpstream(b *testing.B) {
	const msg = "Bad credentials: the token issued by https://sts.windows.net/0f4c2a1e-1111-2222-3333-444455556666/ does not match the integration"
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		Upstream(msg)
	}
}
