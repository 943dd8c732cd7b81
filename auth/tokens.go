package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Tokens are the API keys of a token file, one a line:
//
//	<sha256 hex of the token> <name> <scopes, comma-separated>
//
// Blank lines and lines starting with # are skipped. Only hashes are
// stored; `printf %s TOKEN | sha256sum` (or HashToken) gives one. The file
// is checked for changes at most once per poll interval, on the next
// request; a file that no longer reads or parses keeps the previous keys
// (and is logged). The file is re-read and compared whole, rather than by
// its modification time, so that a quick rewrite of the same size is not
// missed.
type Tokens struct {
	path      string
	opts      options
	keys      atomic.Pointer[tokenFile]
	lastCheck atomic.Int64 // unix nanoseconds of the last stat
	reload    sync.Mutex
}

// tokenFile is one parsed version of the file.
type tokenFile struct {
	entries []tokenEntry
	sum     [sha256.Size]byte // of the file's bytes
}

type tokenEntry struct {
	hash      [sha256.Size]byte
	principal *Principal
}

var _ Authenticator = (*Tokens)(nil)

// LoadTokens reads the token file at path.
func LoadTokens(path string, opts ...Option) (*Tokens, error) {
	t := &Tokens{path: path, opts: newOptions(opts)}
	f, err := readTokenFile(path)
	if err != nil {
		return nil, err
	}
	t.keys.Store(f)
	t.lastCheck.Store(t.opts.now().UnixNano())
	return t, nil
}

// HashToken is the hex SHA-256 of a token, as the token file stores it.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Authenticate implements Authenticator: it compares the token's hash
// with every key's in constant time.
func (t *Tokens) Authenticate(_ context.Context, bearer string) (*Principal, error) {
	t.maybeReload()
	h := sha256.Sum256([]byte(bearer))
	var found *Principal
	for _, e := range t.keys.Load().entries {
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			found = e.principal
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: unknown API key", ErrUnauthenticated)
	}
	return found, nil
}

// maybeReload re-reads the file when the poll interval has passed, and
// parses it when it changed. Concurrent callers do not wait for
// a reload in progress; they use the keys already loaded.
func (t *Tokens) maybeReload() {
	now := t.opts.now().UnixNano()
	if time.Duration(now-t.lastCheck.Load()) < t.opts.poll || !t.reload.TryLock() {
		return
	}
	defer t.reload.Unlock()
	t.lastCheck.Store(now)
	data, err := os.ReadFile(t.path)
	if err != nil {
		t.opts.log.Error("token file: keeping the keys loaded", "path", t.path, "err", err)
		return
	}
	if sha256.Sum256(data) == t.keys.Load().sum {
		return
	}
	f, err := parseTokenFile(t.path, data)
	if err != nil {
		t.opts.log.Error("token file: keeping the keys loaded", "path", t.path, "err", err)
		return
	}
	t.keys.Store(f)
	t.opts.log.Info("token file reloaded", "path", t.path, "keys", len(f.entries))
}

// readTokenFile reads and parses the token file.
func readTokenFile(path string) (*tokenFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	return parseTokenFile(path, data)
}

// parseTokenFile parses the token file read from path.
func parseTokenFile(path string, data []byte) (*tokenFile, error) {
	entries, err := parseTokens(data)
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return &tokenFile{entries: entries, sum: sha256.Sum256(data)}, nil
}

// parseTokens parses the lines of a token file.
func parseTokens(data []byte) ([]tokenEntry, error) {
	var entries []tokenEntry
	seen := map[[sha256.Size]byte]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseTokenLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if seen[e.hash] {
			return nil, fmt.Errorf("line %d: the same hash is already on an earlier line", n)
		}
		seen[e.hash] = true
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return entries, nil
}

// parseTokenLine parses "<sha256 hex> <name> <scopes>".
func parseTokenLine(line string) (tokenEntry, error) {
	fields := strings.Fields(line)
	if len(fields) != 3 {
		return tokenEntry{}, fmt.Errorf("want <sha256 hex of the token> <name> <scopes, comma-separated>, got %d fields", len(fields))
	}
	var e tokenEntry
	if b, err := hex.DecodeString(fields[0]); err != nil || len(b) != sha256.Size {
		return tokenEntry{}, fmt.Errorf("%q is not a SHA-256 in hex (64 digits; printf %%s TOKEN | sha256sum)", fields[0])
	} else {
		copy(e.hash[:], b)
	}
	scopes := strings.Split(fields[2], ",")
	for _, s := range scopes {
		if err := CheckScope(s); err != nil {
			return tokenEntry{}, err
		}
	}
	e.principal = &Principal{Name: fields[1], Scopes: scopes}
	return e, nil
}
