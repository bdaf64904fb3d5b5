package forward

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// HTTPOptions configure the http_output channel; the fields are Falco's
// http_output keys.
type HTTPOptions struct {
	// URL receives one POST per alert.
	URL string
	// UserAgent is the User-Agent header (Falco's default:
	// "falcosecurity/falco").
	UserAgent string
	// JSON selects Content-Type application/json (json_output: true)
	// instead of text/plain.
	JSON bool
	// Insecure skips verifying the server's certificate.
	Insecure bool
	// CACert or else CABundle names a PEM file of the certificate
	// authorities to trust; otherwise CAPath names a directory of PEM
	// files. With none of them, or with CAPath /etc/ssl/certs, the
	// system's authorities are trusted.
	CACert, CABundle, CAPath string
	// MTLS presents ClientCert and ClientKey (PEM files) to the server.
	MTLS                  bool
	ClientCert, ClientKey string
	// Compress is Falco's compress_uploads which, despite its name, asks
	// the server for a gzip-compressed answer (libcurl's
	// CURLOPT_TRANSFER_ENCODING) and sends the alert uncompressed, so
	// that falcosidekick, which does not decode compressed bodies, reads
	// it.
	Compress bool
	// KeepAlive reuses connections between alerts; otherwise each alert
	// opens a new one.
	KeepAlive bool
	// Echo, when set, receives the server's answers (Falco's echo).
	Echo io.Writer
	// Timeout bounds one attempt; 0 means 10s.
	Timeout time.Duration
}

// HTTP is Falco's http_output: each alert is POSTed to a URL. Like
// libcurl, it goes through the proxy that $HTTPS_PROXY, $HTTP_PROXY and
// $NO_PROXY name.
type HTTP struct {
	opts   HTTPOptions
	client *http.Client
}

// NewHTTP returns the http_output channel. It reads the certificate files
// now, so that a wrong path is reported before the replay starts.
func NewHTTP(o HTTPOptions) (*HTTP, error) {
	tlsCfg := &tls.Config{InsecureSkipVerify: o.Insecure} //nolint:gosec // Falco's insecure option
	pool, err := caPool(o)
	if err != nil {
		return nil, err
	}
	tlsCfg.RootCAs = pool
	if o.MTLS {
		cert, err := tls.LoadX509KeyPair(o.ClientCert, o.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("http_output: load client certificate %s and key %s: %w", o.ClientCert, o.ClientKey, err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	tr.DisableKeepAlives = !o.KeepAlive
	return &HTTP{opts: o, client: &http.Client{Transport: tr, Timeout: o.Timeout}}, nil
}

// caPool returns the certificate authorities to trust; nil means the
// system's.
func caPool(o HTTPOptions) (*x509.CertPool, error) {
	file := o.CACert
	if file == "" {
		file = o.CABundle
	}
	if file != "" {
		pool := x509.NewCertPool()
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("http_output: read CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("http_output: CA file %s: no PEM certificate", file)
		}
		return pool, nil
	}
	if o.CAPath == "" || filepath.Clean(o.CAPath) == "/etc/ssl/certs" {
		return nil, nil
	}
	entries, err := os.ReadDir(o.CAPath)
	if err != nil {
		return nil, fmt.Errorf("http_output: read CA directory: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		pem, err := os.ReadFile(filepath.Join(o.CAPath, e.Name()))
		if err == nil && pool.AppendCertsFromPEM(pem) {
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("http_output: CA directory %s: no PEM certificate", o.CAPath)
	}
	return pool, nil
}

// Name returns "http_output".
func (c *HTTP) Name() string { return "http_output" }

// Deliver POSTs line. Connection errors, timeouts, 429 and 5xx answers
// are worth a retry; certificate failures and other answers outside 2xx
// are a [*PermanentError].
func (c *HTTP) Deliver(ctx context.Context, line []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.URL, bytes.NewReader(line))
	if err != nil {
		return &PermanentError{fmt.Errorf("post alert: %w", err)}
	}
	if c.opts.JSON {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "text/plain")
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if c.opts.Compress {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var ue interface{ Timeout() bool }
		if errors.As(err, &ue) && ue.Timeout() {
			return fmt.Errorf("post alert: timeout after %v", c.opts.Timeout)
		}
		if isTLSRefusal(err) {
			return &PermanentError{fmt.Errorf("post alert: %w", err)}
		}
		return fmt.Errorf("post alert: %w", err)
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	if c.opts.Compress && resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return fmt.Errorf("post alert: read answer: %w", err)
		}
		body = zr
	}
	answer, _ := io.ReadAll(io.LimitReader(body, 64<<10))
	if c.opts.Echo != nil && len(answer) > 0 {
		c.opts.Echo.Write(append(answer, '\n'))
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("post alert: %s", resp.Status)
	}
	return &PermanentError{fmt.Errorf("post alert: %s: %s", resp.Status, bytes.TrimSpace(answer))}
}

// isTLSRefusal reports a TLS handshake that failed on certificates (the
// server's is not trusted, or the server refused the client's), which
// retrying does not fix.
func isTLSRefusal(err error) bool {
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	// crypto/tls reports the server's TLS alert (such as "certificate
	// required") as a net.OpError with Op "remote error".
	var op *net.OpError
	return errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &host) ||
		errors.As(err, &invalid) || errors.As(err, &op) && op.Op == "remote error"
}

// Close closes idle connections.
func (c *HTTP) Close() error {
	c.client.CloseIdleConnections()
	return nil
}
