package tlsreload_test

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/inferd/inferd/internal/tlsreload"
	"github.com/inferd/inferd/internal/tlsreload/tlstest"
)

func serial(t *testing.T, r *tlsreload.Reloader) int64 {
	t.Helper()
	c, err := r.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return c.Leaf.SerialNumber.Int64()
}

// A changed pair is served after the interval; a broken one keeps the old.
func TestReload(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.Server(t, cert, key, 10)
	r, err := tlsreload.New(cert, key, tlsreload.WithInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got := serial(t, r); got != 10 {
		t.Fatalf("serial %d, want 10", got)
	}
	ca.Server(t, cert, key, 11)
	waitSerial(t, r, 11)

	// A key that does not match the certificate: the old pair stays.
	other := t.TempDir()
	ca.Server(t, filepath.Join(other, "c"), filepath.Join(other, "k"), 12)
	b, _ := os.ReadFile(filepath.Join(other, "c"))
	if err := os.WriteFile(cert, b, 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := serial(t, r); got != 11 {
		t.Fatalf("after a mismatched rotation: serial %d, want 11", got)
	}
	// Its key arrives: the new pair loads.
	b, _ = os.ReadFile(filepath.Join(other, "k"))
	if err := os.WriteFile(key, b, 0o600); err != nil {
		t.Fatal(err)
	}
	waitSerial(t, r, 12)
}

func waitSerial(t *testing.T, r *tlsreload.Reloader, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for serial(t, r) != want {
		if time.Now().After(deadline) {
			t.Fatalf("serial %d not served within 5s", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFilesConfig(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.Server(t, cert, key, 1)
	for _, tc := range []struct {
		name    string
		files   tlsreload.Files
		wantNil bool
		wantErr bool
		mutual  bool
	}{
		{name: "none", wantNil: true},
		{name: "cert only", files: tlsreload.Files{Cert: cert}, wantErr: true},
		{name: "ca only", files: tlsreload.Files{ClientCA: ca.File}, wantErr: true},
		{name: "missing key file", files: tlsreload.Files{Cert: cert, Key: key + ".missing"}, wantErr: true},
		{name: "not a CA bundle", files: tlsreload.Files{Cert: cert, Key: key, ClientCA: key}, wantErr: true},
		{name: "tls", files: tlsreload.Files{Cert: cert, Key: key}},
		{name: "mtls", files: tlsreload.Files{Cert: cert, Key: key, ClientCA: ca.File}, mutual: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.files.Config()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err != nil || (cfg == nil) != tc.wantNil {
				if !tc.wantErr && (cfg == nil) != tc.wantNil {
					t.Fatalf("config %v, want nil %v", cfg, tc.wantNil)
				}
				return
			}
			if cfg != nil && (cfg.ClientAuth == tls.RequireAndVerifyClientCert) != tc.mutual {
				t.Errorf("ClientAuth %v, mutual %v", cfg.ClientAuth, tc.mutual)
			}
		})
	}
}
