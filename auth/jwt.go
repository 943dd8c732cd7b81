package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// jwtAlgorithms are the signature algorithms accepted.
var jwtAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// JWTVerifier verifies JWTs signed (RS256 or ES256) with a key of a JWKS,
// checks their exp (required), nbf, iss and aud claims with a minute of
// leeway, and takes the principal's scopes from the scope claim
// (space-separated) or the scp claim (a list, or space-separated).
// Scopes inferd does not know are ignored.
type JWTVerifier struct {
	issuer, audience string
	keys             *keySource
	opts             options
}

var _ Authenticator = (*JWTVerifier)(nil)

// NewJWTVerifier reads the JWKS at jwks (a file, or an http(s) URL that is
// fetched only from that address) and returns a verifier of tokens issued
// by issuer for audience.
func NewJWTVerifier(ctx context.Context, jwks, issuer, audience string, opts ...Option) (*JWTVerifier, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("JWT verification needs an issuer and an audience")
	}
	o := newOptions(opts)
	ks, err := newKeySource(ctx, jwks, o)
	if err != nil {
		return nil, err
	}
	return &JWTVerifier{issuer: issuer, audience: audience, keys: ks, opts: o}, nil
}

// jwtClaims are the claims read from a token.
type jwtClaims struct {
	jwt.Claims
	Scope string          `json:"scope"`
	Scp   json.RawMessage `json:"scp"`
}

// Authenticate implements Authenticator.
func (v *JWTVerifier) Authenticate(ctx context.Context, bearer string) (*Principal, error) {
	tok, err := jwt.ParseSigned(bearer, jwtAlgorithms)
	if err != nil {
		return nil, fmt.Errorf("%w: JWT: %w", ErrUnauthenticated, err)
	}
	hdr := tok.Headers[0]
	var claims jwtClaims
	verified := false
	for _, k := range v.keys.keys(ctx, hdr.KeyID) {
		if k.Algorithm != "" && k.Algorithm != hdr.Algorithm {
			continue
		}
		if tok.Claims(k.Key, &claims) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, fmt.Errorf("%w: JWT: no key of the JWKS verifies its signature", ErrUnauthenticated)
	}
	if claims.Expiry == nil {
		return nil, fmt.Errorf("%w: JWT: no exp claim", ErrUnauthenticated)
	}
	want := jwt.Expected{Issuer: v.issuer, AnyAudience: jwt.Audience{v.audience}, Time: v.opts.now()}
	if err := claims.ValidateWithLeeway(want, jwt.DefaultLeeway); err != nil {
		return nil, fmt.Errorf("%w: JWT: %w", ErrUnauthenticated, err)
	}
	name := claims.Subject
	if name == "" {
		name = "jwt"
	}
	return &Principal{Name: name, Scopes: jwtScopes(claims.Scope, claims.Scp)}, nil
}

// jwtScopes reads the scope claim, or else the scp claim (a list or a
// space-separated string), keeping the scopes inferd knows.
func jwtScopes(scope string, scp json.RawMessage) []string {
	var all []string
	switch {
	case scope != "":
		all = strings.Fields(scope)
	case len(scp) > 0:
		var s string
		if json.Unmarshal(scp, &all) != nil && json.Unmarshal(scp, &s) == nil {
			all = strings.Fields(s)
		}
	}
	known := all[:0]
	for _, s := range all {
		if CheckScope(s) == nil {
			known = append(known, s)
		}
	}
	return known
}
