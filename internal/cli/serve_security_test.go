package cli_test

import (
	"strings"
	"testing"
)

func TestServeSecurityFlags(t *testing.T) {
	base := []string{"serve", "--repository", ".", "--http-addr", "127.0.0.1:0", "--grpc-addr", ""}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"key without cert", []string{"--tls-key", "k.pem"}, "TLS needs both a certificate and a key"},
		{"client CA alone", []string{"--tls-client-ca", "ca.pem"}, "TLS needs both a certificate and a key"},
		{"missing cert file", []string{"--tls-cert", "nope.pem", "--tls-key", "nope.pem"}, "no such file"},
		{"rate key", []string{"--rate-limit-key", "user"}, `--rate-limit-key: "user" is not client or ip`},
		{"negative rate", []string{"--rate-limit", "-1"}, "--rate-limit and --max-inflight-requests must not be negative"},
		{"zero burst", []string{"--rate-burst", "0"}, "--rate-burst must be 1 or more"},
		{"negative delay", []string{"--shutdown-delay", "-1s"}, "--shutdown-delay and --read-timeout must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, append(append([]string{}, base...), tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q\n%s", err, tt.want, out)
			}
		})
	}
}
