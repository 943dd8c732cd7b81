// Package authtest makes credentials for tests: a JWT issuer with a
// generated ECDSA key published as a JWKS, and token files.
package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/inferd/inferd/auth"
)

// Issuer signs JWTs (ES256) with a key generated for the test.
type Issuer struct {
	// Issuer and Audience are the iss and aud of the tokens it signs.
	Issuer, Audience string
	// KeyID is the kid of its key.
	KeyID string
	key   *ecdsa.PrivateKey
}

// NewIssuer generates a key.
func NewIssuer(t testing.TB, keyID string) *Issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Issuer{Issuer: "https://issuer.test", Audience: "inferd", KeyID: keyID, key: key}
}

// JWKS is the JSON Web Key Set that publishes the issuer's public key.
func (is *Issuer) JWKS(t testing.TB) []byte {
	t.Helper()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &is.key.PublicKey, KeyID: is.KeyID, Algorithm: string(jose.ES256), Use: "sig"}}}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WriteJWKS writes the JWKS in dir and returns its path.
func (is *Issuer) WriteJWKS(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(path, is.JWKS(t), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Claims are a token's claims beyond iss and aud.
type Claims struct {
	Subject string
	// Scope is the scope claim (space-separated); Scp, when not nil, is
	// put in the scp claim as is.
	Scope string
	Scp   any
	// Expiry and NotBefore are relative to now; zero Expiry omits exp.
	Expiry, NotBefore time.Duration
	// Issuer and Audience, when set, replace the issuer's.
	Issuer, Audience string
}

// Token signs a JWT with c's claims.
func (is *Issuer) Token(t testing.TB, c Claims) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: is.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", is.KeyID))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	std := jwt.Claims{Subject: c.Subject, Issuer: or(c.Issuer, is.Issuer), Audience: jwt.Audience{or(c.Audience, is.Audience)}}
	if c.Expiry != 0 {
		std.Expiry = jwt.NewNumericDate(now.Add(c.Expiry))
	}
	if c.NotBefore != 0 {
		std.NotBefore = jwt.NewNumericDate(now.Add(c.NotBefore))
	}
	extra := map[string]any{}
	if c.Scope != "" {
		extra["scope"] = c.Scope
	}
	if c.Scp != nil {
		extra["scp"] = c.Scp
	}
	tok, err := jwt.Signed(signer).Claims(std).Claims(extra).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Key is an API key for a token file: the token a client sends, the name
// and the scopes it is granted.
type Key struct {
	Token, Name string
	Scopes      []string
}

// Line is k's line in a token file.
func (k Key) Line() string {
	return fmt.Sprintf("%s %s %s", auth.HashToken(k.Token), k.Name, strings.Join(k.Scopes, ","))
}

// WriteTokens writes a token file of keys at path.
func WriteTokens(t testing.TB, path string, keys ...Key) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# test keys\n")
	for _, k := range keys {
		b.WriteString(k.Line() + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}
