package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// boundAddrs is what `inferd serve --addr-file` writes once its listeners
// are bound, and what `inferd healthcheck` reads to find the server
// wherever its arguments put it (the image sets INFERD_ADDR_FILE for both).
type boundAddrs struct {
	HTTP   string `json:"http"`
	GRPC   string `json:"grpc,omitempty"`
	Scheme string `json:"scheme"` // http or https
	// TLSCert is the server's certificate file, which the check pins.
	TLSCert string `json:"tls_cert,omitempty"`
}

// writeAddrFile writes a atomically (a temporary file renamed over path)
// and returns a function removing it.
func writeAddrFile(path string, a boundAddrs) (remove func(), err error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".inferd-addr-*")
	if err != nil {
		return nil, fmt.Errorf("--addr-file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return nil, fmt.Errorf("--addr-file: %w", err)
	}
	return func() { _ = os.Remove(path) }, nil
}

// readAddrFile reads what writeAddrFile wrote; ok is false when there is
// no file (no server has written it, or it has exited).
func readAddrFile(path string) (a boundAddrs, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return a, false, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &a)
	}
	if err == nil && a.HTTP == "" {
		err = errors.New("no http address")
	}
	if err != nil {
		return a, false, fmt.Errorf("--addr-file %s: %w", path, err)
	}
	return a, true, nil
}
