package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
)

type healthcheckOptions struct {
	httpAddr string
	path     string
	url      string
	timeout  time.Duration
	// minModels fails the check when the answer's models_serving (/readyz)
	// is lower.
	minModels int
	// tlsCert is the server's certificate: with it the check speaks HTTPS
	// and accepts only that certificate. clientCert and clientKey are the
	// check's own pair, for a server under mutual TLS.
	tlsCert, clientCert, clientKey string
	// addrFile is where the server wrote its bound addresses (serve
	// --addr-file); it wins over --http-addr unless --http-addr or --url
	// is on the command line (commandLine).
	addrFile    string
	commandLine bool
}

// newHealthcheckCmd is the health check of container images, which have no
// curl: it GETs the server's /healthz and exits 0 on a 2xx answer, 1
// otherwise. It finds the server in the file `inferd serve --addr-file`
// writes (INFERD_ADDR_FILE, set in the images), so it follows the address
// the server's arguments gave; without that file, --http-addr (also from
// INFERD_HTTP_ADDR).
func newHealthcheckCmd() *cobra.Command {
	o := healthcheckOptions{}
	cmd := &cobra.Command{
		Use:    "healthcheck",
		Short:  "Check that a local inferd server answers (the health check of container images)",
		Hidden: true,
		Args:   cobra.NoArgs,
		// Which flags the command line gave, before the environment's.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			o.commandLine = cmd.Flags().Changed("http-addr") || cmd.Flags().Changed("url")
			return flagsFromEnv(cmd.Flags())
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHealthcheck(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8080", "the server's HTTP listen address; an unspecified host (0.0.0.0, ::, empty) means loopback")
	fs.StringVar(&o.path, "path", "/healthz", "path to check (/healthz: alive, /readyz: ready to serve)")
	fs.StringVar(&o.url, "url", "", "full URL to check, instead of --http-addr and --path")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	fs.IntVar(&o.minModels, "min-models", 0, "with --path /readyz: fail unless at least this many models serve (helm test: 1, so that an empty repository fails)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "the server's certificate file (its --tls-cert, also from INFERD_TLS_CERT): check over HTTPS, accepting only that certificate")
	fs.StringVar(&o.clientCert, "tls-client-cert", "", "a client certificate to present, for a server under mutual TLS")
	fs.StringVar(&o.clientKey, "tls-client-key", "", "the key of --tls-client-cert")
	fs.StringVar(&o.addrFile, "addr-file", "", "the file where the server wrote its addresses (its --addr-file, also from INFERD_ADDR_FILE): used when it exists, unless --http-addr or --url is on the command line")
	return cmd
}

// healthClient is a plain HTTP client, or with o.tlsCert an HTTPS client
// that accepts only the server certificate in that file: the check talks
// to the server on loopback, whose certificate names its public hosts, so
// the certificate is pinned instead of its names being checked.
func healthClient(o healthcheckOptions) (*http.Client, string, error) {
	if o.tlsCert == "" {
		return http.DefaultClient, "http", nil
	}
	pin, err := leafDER(o.tlsCert)
	if err != nil {
		return nil, "", err
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, pin) {
				return fmt.Errorf("the server's certificate is not the one in %s", o.tlsCert)
			}
			return nil
		},
	}
	if o.clientCert != "" || o.clientKey != "" {
		pair, err := tls.LoadX509KeyPair(o.clientCert, o.clientKey)
		if err != nil {
			return nil, "", fmt.Errorf("--tls-client-cert and --tls-client-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}, "https", nil
}

// leafDER is the first certificate of a PEM file.
func leafDER(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert: %w", err)
	}
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			return nil, fmt.Errorf("--tls-cert: no PEM certificate in %s", file)
		}
		if blk.Type == "CERTIFICATE" {
			return blk.Bytes, nil
		}
	}
}

// fromAddrFile applies the server's addresses file to o, when there is
// one and the command line named no address.
func (o healthcheckOptions) fromAddrFile() (healthcheckOptions, error) {
	if o.addrFile == "" || o.commandLine {
		return o, nil
	}
	a, ok, err := readAddrFile(o.addrFile)
	if err != nil || !ok {
		return o, err
	}
	o.httpAddr = a.HTTP
	if a.Scheme == "https" && o.tlsCert == "" {
		o.tlsCert = a.TLSCert
	}
	return o, nil
}

func runHealthcheck(ctx context.Context, stdout io.Writer, o healthcheckOptions) error {
	o, err := o.fromAddrFile()
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	client, scheme, err := healthClient(o)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	url := o.url
	if url == "" {
		host, port, err := net.SplitHostPort(o.httpAddr)
		if err != nil {
			return fmt.Errorf("--http-addr: %w", err)
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
			if ip != nil && ip.To4() == nil {
				host = "::1"
			}
		}
		url = scheme + "://" + net.JoinHostPort(host, port) + o.path
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("health check: GET %s: %s %s", url, resp.Status, body)
	}
	if o.minModels > 0 {
		var ready struct {
			Serving int `json:"models_serving"`
		}
		if err := json.Unmarshal(body, &ready); err != nil || ready.Serving < o.minModels {
			return fmt.Errorf("health check: GET %s: %d models serve, want at least %d: %s", url, ready.Serving, o.minModels, body)
		}
	}
	_, err = fmt.Fprintf(stdout, "%s: %s\n", url, resp.Status)
	return err
}
