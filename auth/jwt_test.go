package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/inferd/inferd/auth"
	"github.com/inferd/inferd/auth/authtest"
)

func TestJWT(t *testing.T) {
	is := authtest.NewIssuer(t, "k1")
	other := authtest.NewIssuer(t, "k1") // same kid, another key
	v, err := auth.NewJWTVerifier(context.Background(), is.WriteJWKS(t, t.TempDir()), is.Issuer, is.Audience)
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Hour
	tests := []struct {
		name   string
		token  string
		scopes []string
		err    string
	}{
		{"scope claim", is.Token(t, authtest.Claims{Subject: "svc", Scope: "openid read predict:digits*", Expiry: hour}), []string{"read", "predict:digits*"}, ""},
		{"scp list", is.Token(t, authtest.Claims{Subject: "svc", Scp: []string{"manage", "email"}, Expiry: hour}), []string{"manage"}, ""},
		{"scp string", is.Token(t, authtest.Claims{Subject: "svc", Scp: "metrics read", Expiry: hour}), []string{"metrics", "read"}, ""},
		{"expired", is.Token(t, authtest.Claims{Subject: "svc", Scope: "read", Expiry: -hour}), nil, "token is expired"},
		{"not yet valid", is.Token(t, authtest.Claims{Subject: "svc", Scope: "read", Expiry: 2 * hour, NotBefore: hour}), nil, "not valid yet"},
		{"no exp", is.Token(t, authtest.Claims{Subject: "svc", Scope: "read"}), nil, "no exp claim"},
		{"other issuer", is.Token(t, authtest.Claims{Subject: "svc", Scope: "read", Expiry: hour, Issuer: "https://evil"}), nil, "invalid issuer"},
		{"other audience", is.Token(t, authtest.Claims{Subject: "svc", Scope: "read", Expiry: hour, Audience: "other"}), nil, "invalid audience"},
		{"other key", other.Token(t, authtest.Claims{Subject: "svc", Scope: "read", Expiry: hour}), nil, "no key of the JWKS verifies"},
		{"HS256", hs256(t), nil, "unexpected signature algorithm"},
		{"garbage", "a.b.c", nil, "JWT:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Authenticate(context.Background(), tt.token)
			if tt.err != "" {
				if !errors.Is(err, auth.ErrUnauthenticated) || !contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want ErrUnauthenticated with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "svc" || !slices.Equal(p.Scopes, tt.scopes) {
				t.Errorf("principal %+v, want svc with %v", p, tt.scopes)
			}
		})
	}
}

// hs256 is a token signed with a shared secret, an algorithm refused.
func hs256(t *testing.T) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(jwt.Claims{Subject: "svc", Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestJWKSURL fetches the keys from a loopback URL, and again when a
// token names a key it does not know (a rotation).
func TestJWKSURL(t *testing.T) {
	first, second := authtest.NewIssuer(t, "k1"), authtest.NewIssuer(t, "k2")
	var current atomic.Pointer[[]byte]
	jwks := first.JWKS(t)
	current.Store(&jwks)
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		_, _ = w.Write(*current.Load())
	}))
	defer srv.Close()
	v, err := auth.NewJWTVerifier(context.Background(), srv.URL, first.Issuer, first.Audience, auth.WithPollInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v.Authenticate(ctx, first.Token(t, authtest.Claims{Subject: "a", Expiry: time.Hour})); err != nil {
		t.Fatal(err)
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches for a known key, want 1", n)
	}
	rotated := second.JWKS(t)
	current.Store(&rotated)
	if _, err := v.Authenticate(ctx, second.Token(t, authtest.Claims{Subject: "b", Expiry: time.Hour})); err != nil {
		t.Errorf("a rotated key: %v", err)
	}
}

func TestJWKSURLRefused(t *testing.T) {
	is := authtest.NewIssuer(t, "k1")
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(is.JWKS(t)) }))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	defer redirect.Close()
	tests := []struct {
		name, url, want string
	}{
		{"redirect", redirect.URL, "redirects are not followed"},
		{"plain http elsewhere", "http://idp.example/jwks", "use https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.NewJWTVerifier(context.Background(), tt.url, is.Issuer, is.Audience)
			if err == nil || !contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	_, err := (&auth.Chain{}).Authenticate(ctx, "")
	if !errors.Is(err, auth.ErrNoCredential) || !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("no credential: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens")
	authtest.WriteTokens(t, path, authtest.Key{Token: "key.with.dots", Name: "dots", Scopes: []string{"read"}})
	tok, err := auth.LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	is := authtest.NewIssuer(t, "k")
	v, err := auth.NewJWTVerifier(ctx, is.WriteJWKS(t, dir), is.Issuer, is.Audience)
	if err != nil {
		t.Fatal(err)
	}
	c := &auth.Chain{Tokens: tok, JWT: v}
	for token, want := range map[string]string{
		"key.with.dots": "dots",
		is.Token(t, authtest.Claims{Subject: "svc", Expiry: time.Hour}): "svc",
		"other": "",
		"a.b.c": "",
	} {
		p, err := c.Authenticate(ctx, token)
		if want == "" && !errors.Is(err, auth.ErrUnauthenticated) || want != "" && (err != nil || p.Name != want) {
			t.Errorf("%.20s: %v, %v; want %q", token, p, err, want)
		}
	}
	tests := []struct {
		header, token string
		ok            bool
	}{
		{"", "", true},
		{"Bearer abc", "abc", true},
		{"bearer  abc ", "abc", true},
		{"Basic dXNlcg==", "", false},
		{"Bearer", "", false},
	}
	for _, tt := range tests {
		if tok, ok := auth.BearerToken(tt.header); tok != tt.token || ok != tt.ok {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tt.header, tok, ok, tt.token, tt.ok)
		}
	}
}
