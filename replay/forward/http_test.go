package forward

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/replay/forward/sidekicktest"
)

const alert = `{"hostname":"h","output":"12:00:00.000000000: Warning x","output_fields":{"proc.name":"cat"},"priority":"Warning","rule":"r","source":"syscall","tags":[],"time":"2026-01-02T03:04:05.000000000Z"}`

func TestHTTPDeliver(t *testing.T) {
	p := sidekicktest.NewPKI(t)
	caDir := filepath.Join(t.TempDir(), "cas")
	os.Mkdir(caDir, 0o755)
	ca, _ := os.ReadFile(p.CAFile)
	os.WriteFile(filepath.Join(caDir, "test-ca.pem"), ca, 0o644)
	plain := sidekicktest.New(t)
	tlsSrv := sidekicktest.NewTLS(t, p, false)
	mtlsSrv := sidekicktest.NewTLS(t, p, true)
	tests := []struct {
		name    string
		srv     *sidekicktest.Server
		opts    HTTPOptions
		wantErr string
	}{
		{"plain json", plain, HTTPOptions{JSON: true, UserAgent: "falcosecurity/falco"}, ""},
		{"plain text", plain, HTTPOptions{UserAgent: "ua"}, "400 Bad Request"},
		{"keep alive and compress", plain, HTTPOptions{JSON: true, KeepAlive: true, Compress: true, UserAgent: "ua"}, ""},
		{"tls ca_cert", tlsSrv, HTTPOptions{JSON: true, CACert: p.CAFile}, ""},
		{"tls ca_bundle", tlsSrv, HTTPOptions{JSON: true, CABundle: p.CAFile}, ""},
		{"tls ca_path", tlsSrv, HTTPOptions{JSON: true, CAPath: caDir}, ""},
		{"tls unknown authority", tlsSrv, HTTPOptions{JSON: true}, "certificate signed by unknown authority"},
		{"tls insecure", tlsSrv, HTTPOptions{JSON: true, Insecure: true}, ""},
		{"mtls", mtlsSrv, HTTPOptions{JSON: true, CACert: p.CAFile, MTLS: true, ClientCert: p.ClientCert, ClientKey: p.ClientKey}, ""},
		{"mtls without client cert", mtlsSrv, HTTPOptions{JSON: true, CACert: p.CAFile}, "certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.URL = tc.srv.URL + "/"
			tc.opts.Timeout = 5 * time.Second
			ch, err := NewHTTP(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer ch.Close()
			before := len(tc.srv.Accepted())
			line := []byte(alert)
			if !tc.opts.JSON {
				line = []byte("12:00:00.000000000: Warning x")
			}
			err = ch.Deliver(context.Background(), line)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				var pe *PermanentError
				if !errors.As(err, &pe) {
					t.Errorf("error %v is worth a retry; want a PermanentError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			acc := tc.srv.Accepted()
			if len(acc) != before+1 {
				t.Fatalf("server accepted %d, want %d", len(acc), before+1)
			}
			r := acc[len(acc)-1]
			if r.ContentType != "application/json" || string(r.Body) != alert || r.UserAgent != tc.opts.UserAgent {
				t.Errorf("request %+v", r)
			}
			if tc.opts.Compress && r.AcceptEnc != "gzip" {
				t.Errorf("compress_uploads: Accept-Encoding %q, want gzip", r.AcceptEnc)
			}
		})
	}
}

func TestHTTPBadFiles(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "x.pem")
	os.WriteFile(notPEM, []byte("nope"), 0o644)
	tests := []struct {
		name string
		opts HTTPOptions
		want string
	}{
		{"missing ca", HTTPOptions{CACert: filepath.Join(dir, "none.pem")}, "http_output: read CA file"},
		{"ca not pem", HTTPOptions{CACert: notPEM}, "no PEM certificate"},
		{"empty ca dir", HTTPOptions{CAPath: dir + "/empty"}, "read CA directory"},
		{"client cert", HTTPOptions{MTLS: true, ClientCert: notPEM, ClientKey: notPEM}, "http_output: load client certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewHTTP(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestHTTPCompressedAnswer checks compress_uploads' gzip answer and echo.
func TestHTTPCompressedAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write([]byte("ok from server"))
		zw.Close()
	}))
	defer srv.Close()
	var echo bytes.Buffer
	ch, err := NewHTTP(HTTPOptions{URL: srv.URL, Compress: true, Echo: &echo})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if err := ch.Deliver(context.Background(), []byte(alert)); err != nil {
		t.Fatal(err)
	}
	if echo.String() != "ok from server\n" {
		t.Errorf("echo %q", echo.String())
	}
}

// TestHTTPKeepAlive counts connections: one for all alerts with
// keep_alive, one per alert without.
func TestHTTPKeepAlive(t *testing.T) {
	for _, keep := range []bool{true, false} {
		var conns atomic.Int32
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
		srv.Start()
		ch, err := NewHTTP(HTTPOptions{URL: srv.URL, KeepAlive: keep})
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if err := ch.Deliver(context.Background(), []byte(alert)); err != nil {
				t.Fatal(err)
			}
		}
		ch.Close()
		srv.Close()
		want := int32(5)
		if keep {
			want = 1
		}
		if got := conns.Load(); got != want {
			t.Errorf("keep_alive %v: %d connections, want %d", keep, got, want)
		}
	}
}

// TestHTTPFailingEndpoint sends alerts to endpoints that refuse
// connections, answer 500 or answer too slowly: every alert is retried up
// to the bound, the channel gives up after a run of failures, and every
// alert is counted as undelivered.
func TestHTTPFailingEndpoint(t *testing.T) {
	refused := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr + "/"
	}
	var hits atomic.Int32
	serve := func(t *testing.T, h http.HandlerFunc) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			h(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/"
	}
	var slowOnce sync.Once
	unblock := make(chan struct{})
	tests := []struct {
		name    string
		url     func(t *testing.T) string
		wantErr string
		server  bool
	}{
		{"connection refused", refused, "connection refused", false},
		{"500", func(t *testing.T) string {
			return serve(t, func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) })
		}, "500 Internal Server Error", true},
		{"slow", func(t *testing.T) string {
			url := serve(t, func(http.ResponseWriter, *http.Request) {
				select {
				case <-time.After(2 * time.Second):
				case <-unblock:
				}
			})
			// Cleanups run last first: unblock the handlers, then close.
			t.Cleanup(func() { slowOnce.Do(func() { close(unblock) }) })
			return url
		}, "timeout after 50ms", true},
	}
	const alerts, attempts, giveUp = 20, 3, 4
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits.Store(0)
			ch, err := NewHTTP(HTTPOptions{URL: tc.url(t), JSON: true, Timeout: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			f := New([]Channel{ch}, Policy{Attempts: attempts, Backoff: time.Millisecond, GiveUpAfter: giveUp})
			start := time.Now()
			for range alerts {
				f.Send([]byte(alert))
			}
			st := f.Close(context.Background())[0]
			elapsed := time.Since(start)
			if st.Delivered != 0 || st.Undelivered() != alerts || !st.GaveUp {
				t.Errorf("stats %+v: want all %d undelivered and the channel given up", st, alerts)
			}
			if st.Retries != giveUp*(attempts-1) {
				t.Errorf("%d retries, want %d (%d alerts tried %d times)", st.Retries, giveUp*(attempts-1), giveUp, attempts)
			}
			if tc.server && int(hits.Load()) != giveUp*attempts {
				t.Errorf("server saw %d attempts, want %d", hits.Load(), giveUp*attempts)
			}
			if st.LastErr == nil || !strings.Contains(st.LastErr.Error(), tc.wantErr) {
				t.Errorf("last error %v, want %q", st.LastErr, tc.wantErr)
			}
			if elapsed > 3*time.Second {
				t.Errorf("took %v: the bound did not hold", elapsed)
			}
		})
	}
}
