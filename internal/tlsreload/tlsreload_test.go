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
			if cfg != nil && (cfg.ClientAuth == tls.RequireAnyClientCert && cfg.VerifyConnection != nil) != tc.mutual {
				t.Errorf("ClientAuth %v, mutual %v", cfg.ClientAuth, tc.mutual)
			}
		})
	}
}

// A rewritten client CA bundle is used for the next handshakes: clients of
// the new CA get in, clients of the old one no longer do, and a bundle
// that does not parse keeps the loaded one.
func TestClientCARotation(t *testing.T) {
	serverCA, oldCA, newCA := tlstest.NewCA(t, "server-ca"), tlstest.NewCA(t, "old"), tlstest.NewCA(t, "new")
	dir := t.TempDir()
	cert, key, bundle := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "clients.pem")
	serverCA.Server(t, cert, key, 1)
	copyFile(t, oldCA.File, bundle)
	cfg, err := tlsreload.Files{Cert: cert, Key: key, ClientCA: bundle}.Config(tlsreload.WithInterval(20 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, cfg)
	oldClient, newClient := oldCA.Client(t, "old-client"), newCA.Client(t, "new-client")
	handshakes := func() (old, new, none error) {
		return handshake(addr, serverCA, &oldClient), handshake(addr, serverCA, &newClient), handshake(addr, serverCA, nil)
	}
	if o, n, none := handshakes(); o != nil || n == nil || none == nil {
		t.Fatalf("before rotation: old CA %v, new CA %v, no certificate %v; want only the old CA in", o, n, none)
	}
	copyFile(t, newCA.File, bundle)
	deadline := time.Now().Add(5 * time.Second)
	for {
		o, n, none := handshakes()
		if o != nil && n == nil && none != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s after rotation: old CA %v, new CA %v, no certificate %v; want only the new CA in", o, n, none)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.WriteFile(bundle, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if o, n, _ := handshakes(); o == nil || n != nil {
		t.Fatalf("after a broken bundle: old CA %v, new CA %v; want the loaded bundle (new CA) kept", o, n)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// serveTLS accepts TLS connections on loopback and completes their
// handshakes, until the test ends.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
				_, _ = c.Write([]byte{1})
			}()
		}
	}()
	return l.Addr().String()
}

// handshake connects with client (nil: no certificate) and reads one byte,
// which a server that refused the certificate never sends.
func handshake(addr string, serverCA *tlstest.CA, client *tls.Certificate) error {
	cfg := &tls.Config{RootCAs: serverCA.Pool(), ServerName: "127.0.0.1"}
	if client != nil {
		cfg.Certificates = []tls.Certificate{*client}
	}
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Read(make([]byte, 1))
	return err
}
