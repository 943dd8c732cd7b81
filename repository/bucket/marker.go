package bucket

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
)

// MarkerFile is the object that completes a version: sha256sum lines of
// every file of the version, written after them.
const MarkerFile = "inferd.sha256"

// parseMarker reads sha256sum output: "<64 hex digits>  <path>" (or " *"
// before the path for binary mode), paths relative to the version
// directory. It returns path → lower-case hex digest.
func parseMarker(b []byte) (map[string]string, error) {
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		sum, name, ok := strings.Cut(line, " ")
		name = strings.TrimPrefix(strings.TrimPrefix(name, " "), "*")
		name = strings.TrimPrefix(name, "./")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 {
			return nil, fmt.Errorf("%s line %d: want \"<sha256 hex>  <file>\" as sha256sum writes it", MarkerFile, n)
		}
		if name == "" || path.Clean(name) != name || strings.HasPrefix(name, "../") || path.IsAbs(name) || name == MarkerFile {
			return nil, fmt.Errorf("%s line %d: %q is not a file of the version directory", MarkerFile, n, name)
		}
		sums[name] = strings.ToLower(sum)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", MarkerFile, err)
	}
	return sums, nil
}
