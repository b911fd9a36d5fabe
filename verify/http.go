package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds what is read of a provider's answer.
const maxBody = 1 << 20

// Response is a provider's HTTP answer, its body read (at most 1 MiB).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Send makes one HTTP call. A transport error, a timeout, 429 and any 5xx
// come back as a non-nil *Result (unknown, and retryable for 429 and 5xx,
// with the provider's Retry-After); otherwise the response is for the
// verifier to judge.
func Send(client *http.Client, req *http.Request) (*Response, *Result) {
	req.Header.Set("User-Agent", "leakgate-verify")
	resp, err := client.Do(req)
	if err != nil {
		r := Unknown(netReason(req.Context(), err))
		// A connection reset or refused might pass; a timeout is not retried
		// (the budget is spent), nor a name that does not resolve.
		r.Retry = req.Context().Err() == nil && !isTimeout(err) && r.Reason != "host not found"
		return nil, &r
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		r := Unknown(fmt.Sprintf("reading the answer (HTTP %d): %s", resp.StatusCode, netReason(req.Context(), err)))
		return nil, &r
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		r := Unknown("rate limited (HTTP 429)")
		r.Retry, r.RetryAfter = true, RetryAfter(resp.Header, time.Now())
		return out, &r
	case resp.StatusCode >= 500:
		r := Unknown(fmt.Sprintf("provider error (HTTP %d)", resp.StatusCode))
		r.Retry, r.RetryAfter = true, RetryAfter(resp.Header, time.Now())
		return out, &r
	}
	return out, nil
}

// Unexpected is the unknown result for an answer a verifier does not
// recognise.
func Unexpected(r *Response) Result {
	return Unknown(fmt.Sprintf("unexpected answer (HTTP %d)", r.Status))
}

// RetryAfter reads a Retry-After header: seconds or an HTTP date. Zero when
// absent or unreadable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout())
}

// netReason says why a call failed without quoting the URL (which can hold
// a token): "timed out", "connection refused", ...
func netReason(ctx context.Context, err error) string {
	switch {
	case ctx.Err() != nil || isTimeout(err):
		return "timed out"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "no such host"):
		return "host not found"
	case strings.Contains(err.Error(), "certificate"):
		return "TLS certificate error"
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return "network error: " + inner.Error()
		}
	}
	return "network error"
}

// Get sends a GET request to url with the given header name/value pairs
// and returns the answer as Send does; a request that cannot be built is
// unknown.
func Get(ctx context.Context, client *http.Client, url string, header ...string) (*Response, *Result) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		r := Unknown("building the request: " + err.Error())
		return nil, &r
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return Send(client, req)
}
