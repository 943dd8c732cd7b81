package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeAuthFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "tokens")
	if err := os.WriteFile(bad, []byte("abc ci read\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"serve", "--repository", dir, "--http-addr", "127.0.0.1:0", "--grpc-addr", ""}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"issuer without JWKS", []string{"--auth-issuer", "https://idp"}, "--auth-issuer and --auth-audience need --auth-jwks"},
		{"JWKS without audience", []string{"--auth-jwks", bad, "--auth-issuer", "https://idp"}, "--auth-jwks: JWT verification needs an issuer and an audience"},
		{"missing token file", []string{"--auth-tokens", filepath.Join(dir, "none")}, "--auth-tokens: token file:"},
		{"bad token file", []string{"--auth-tokens", bad}, `line 1: "abc" is not a SHA-256`},
		{"JWKS over plain http", []string{"--auth-jwks", "http://idp.example/jwks", "--auth-issuer", "i", "--auth-audience", "a"}, "use https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, append(base, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q\n%s", err, tt.want, out)
			}
		})
	}
}
