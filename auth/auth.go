package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrUnauthenticated is wrapped by every error of a missing, malformed,
// unknown, expired or otherwise invalid credential (HTTP 401, gRPC
// Unauthenticated).
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrNoCredential is wrapped (with ErrUnauthenticated) when the request
// carries no credential at all.
var ErrNoCredential = errors.New("no credential (send the header Authorization: Bearer TOKEN)")

// Authenticator turns a bearer credential into the principal it stands
// for. Errors wrap ErrUnauthenticated.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (*Principal, error)
}

// Chain tries API keys first, then JWTs: a credential that is no API key
// and is shaped like a JWT (three dot-separated parts) goes to JWT. Either
// may be nil.
type Chain struct {
	Tokens *Tokens
	JWT    *JWTVerifier
}

var _ Authenticator = (*Chain)(nil)

// Authenticate implements Authenticator.
func (c *Chain) Authenticate(ctx context.Context, bearer string) (*Principal, error) {
	if bearer == "" {
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, ErrNoCredential)
	}
	if c.Tokens != nil {
		p, err := c.Tokens.Authenticate(ctx, bearer)
		if err == nil || c.JWT == nil || strings.Count(bearer, ".") != 2 {
			return p, err
		}
	}
	if c.JWT != nil {
		return c.JWT.Authenticate(ctx, bearer)
	}
	return nil, fmt.Errorf("%w: no credentials are configured", ErrUnauthenticated)
}

// BearerToken returns the token of an Authorization header value
// ("Bearer <token>", the scheme case-insensitive), or "" when there is
// none. ok is false for a header that is present but not a bearer token.
func BearerToken(header string) (token string, ok bool) {
	if header == "" {
		return "", true
	}
	scheme, token, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
