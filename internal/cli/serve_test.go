package cli_test

import (
	"strings"
	"testing"
)

func TestServeGRPCFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad gRPC address", []string{"serve", "--repository", ".", "--http-addr", "127.0.0.1:0", "--grpc-addr", "nope"}, "--grpc-addr: listen tcp: address nope: missing port"},
		{"gRPC message limit", []string{"serve", "--repository", ".", "--grpc-max-message-bytes", "0"}, "--grpc-max-message-bytes must be positive"},
		{"console mode", []string{"serve", "--repository", ".", "--ui", "maybe"}, `--ui: "maybe" is not auto, on or off`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q\n%s", err, tt.want, out)
			}
		})
	}
}
