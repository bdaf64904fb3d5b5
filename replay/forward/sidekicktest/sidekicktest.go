// Package sidekicktest runs an HTTP server on loopback that accepts alerts
// the way falcosidekick's input does, for tests of retrace's http_output:
// POST on "/" only, and a body that decodes as a Falco alert with a
// non-empty rule, a known priority, a non-zero time and non-empty
// output_fields; anything else is answered 400. It records what it
// accepts. A Server is safe for concurrent use.
package sidekicktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Alert is the part of a Falco alert falcosidekick decodes.
type Alert struct {
	Output       string         `json:"output"`
	Priority     string         `json:"priority"`
	Rule         string         `json:"rule"`
	Time         time.Time      `json:"time"`
	OutputFields map[string]any `json:"output_fields"`
	Source       string         `json:"source"`
	Tags         []string       `json:"tags"`
	Hostname     string         `json:"hostname"`
}

// priorities are the priority names falcosidekick accepts, compared
// without case.
var priorities = []string{"emergency", "alert", "critical", "error", "warning", "notice", "informational", "info", "debug"}

// Check decodes body as falcosidekick does and applies its checks.
func Check(body []byte) (Alert, error) {
	var a Alert
	if len(bytes.TrimSpace(body)) == 0 {
		return a, errors.New("empty body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&a); err != nil {
		return a, fmt.Errorf("decode: %w", err)
	}
	known := false
	for _, p := range priorities {
		known = known || strings.EqualFold(p, a.Priority)
	}
	switch {
	case !known:
		return a, fmt.Errorf("invalid priority %q", a.Priority)
	case a.Rule == "":
		return a, errors.New("empty rule")
	case a.Time.IsZero():
		return a, errors.New("zero time")
	case len(a.OutputFields) == 0:
		return a, errors.New("empty output_fields")
	}
	return a, nil
}

// Request is one accepted POST.
type Request struct {
	Body                              []byte
	Alert                             Alert
	ContentType, UserAgent, AcceptEnc string
}

// Server is the test server.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	accepted []Request
	rejected []string
}

// New starts a server on 127.0.0.1, closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// ServeHTTP answers like falcosidekick's input handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost {
		s.reject(w, "Please send with post http method")
		return
	}
	a, err := Check(body)
	if err != nil {
		s.reject(w, "Please send a valid request body: "+err.Error())
		return
	}
	s.mu.Lock()
	s.accepted = append(s.accepted, Request{Body: body, Alert: a, ContentType: r.Header.Get("Content-Type"),
		UserAgent: r.Header.Get("User-Agent"), AcceptEnc: r.Header.Get("Accept-Encoding")})
	s.mu.Unlock()
}

func (s *Server) reject(w http.ResponseWriter, msg string) {
	s.mu.Lock()
	s.rejected = append(s.rejected, msg)
	s.mu.Unlock()
	http.Error(w, msg, http.StatusBadRequest)
}

// Accepted returns the accepted requests, in arrival order.
func (s *Server) Accepted() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.accepted...)
}

// Rejected returns the messages of the rejected requests.
func (s *Server) Rejected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rejected...)
}
