package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

type healthcheckOptions struct {
	httpAddr string
	path     string
	url      string
	timeout  time.Duration
}

// newHealthcheckCmd is the health check of container images, which have no
// curl: it GETs the server's /healthz and exits 0 on a 2xx answer, 1
// otherwise. Like every flag, --http-addr also comes from INFERD_HTTP_ADDR,
// so the check follows the address the server was given.
func newHealthcheckCmd() *cobra.Command {
	o := healthcheckOptions{}
	cmd := &cobra.Command{
		Use:    "healthcheck",
		Short:  "Check that a local inferd server answers (the health check of container images)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHealthcheck(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8080", "the server's HTTP listen address; an unspecified host (0.0.0.0, ::, empty) means loopback")
	fs.StringVar(&o.path, "path", "/healthz", "path to check (/healthz: alive, /readyz: ready to serve)")
	fs.StringVar(&o.url, "url", "", "full URL to check, instead of --http-addr and --path")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return cmd
}

func runHealthcheck(ctx context.Context, stdout io.Writer, o healthcheckOptions) error {
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
		url = "http://" + net.JoinHostPort(host, port) + o.path
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("health check: GET %s: %s %s", url, resp.Status, body)
	}
	_, err = fmt.Fprintf(stdout, "%s: %s\n", url, resp.Status)
	return err
}
