package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/auth"
	"github.com/inferd/inferd/auth/authtest"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	authtest.WriteTokens(t, path,
		authtest.Key{Token: "secret-ci", Name: "ci", Scopes: []string{"read", "predict:digits*"}},
		authtest.Key{Token: "secret-ops", Name: "ops", Scopes: []string{"manage"}})
	tok, err := auth.LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		token, name string
	}{
		{"secret-ci", "ci"},
		{"secret-ops", "ops"},
		{"secret-c", ""},
		{"", ""},
	}
	for _, tt := range tests {
		p, err := tok.Authenticate(context.Background(), tt.token)
		switch {
		case tt.name == "" && !errors.Is(err, auth.ErrUnauthenticated):
			t.Errorf("%q: err = %v, want ErrUnauthenticated", tt.token, err)
		case tt.name != "" && (err != nil || p.Name != tt.name):
			t.Errorf("%q: principal %v, %v; want %s", tt.token, p, err, tt.name)
		}
	}
}

func TestTokenFileErrors(t *testing.T) {
	hash := auth.HashToken("x")
	tests := []struct {
		name, file, want string
	}{
		{"two fields", hash + " ci\n", "line 1: want <sha256 hex of the token> <name> <scopes, comma-separated>, got 2 fields"},
		{"plain token", "# keys\nsecret ci read\n", `line 2: "secret" is not a SHA-256 in hex`},
		{"unknown scope", hash + " ci read,admin\n", `line 1: unknown scope "admin"`},
		{"duplicate", hash + " a read\n" + hash + " b read\n", "line 2: the same hash is already on an earlier line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := auth.LoadTokens(path)
			if err == nil || !contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestTokensReload rewrites the token file and waits, a poll at a time
// and for a bounded time, for the new keys to replace the old ones. A file
// that stops parsing keeps the keys loaded.
func TestTokensReload(t *testing.T) {
	const poll = 20 * time.Millisecond
	path := filepath.Join(t.TempDir(), "tokens")
	oldKey := authtest.Key{Token: "old", Name: "old", Scopes: []string{"read"}}
	newKey := authtest.Key{Token: "new", Name: "new", Scopes: []string{"read"}}
	authtest.WriteTokens(t, path, oldKey)
	tok, err := auth.LoadTokens(path, auth.WithPollInterval(poll))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	authtest.WriteTokens(t, path, newKey)
	waitFor(t, poll, func() bool { _, err := tok.Authenticate(ctx, "new"); return err == nil })
	if _, err := tok.Authenticate(ctx, "old"); err == nil {
		t.Error("the removed key still authenticates")
	}
	if err := os.WriteFile(path, []byte("not a token file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * poll)
	if _, err := tok.Authenticate(ctx, "new"); err != nil {
		t.Errorf("a broken file dropped the keys: %v", err)
	}
}

// waitFor calls ok every poll until it is true, for at most 5 seconds.
func waitFor(t *testing.T, poll time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(poll)
	}
}
