package verify

import (
	"net/http"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func TestNPM(t *testing.T) {
	t.Parallel()
	tok := "npm_" + "9Q2NESLUCkKzHZ9ZBvRtYUZM9lCWba3VkJ1u"
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"username":"alice"}`}, want: leak.Live, identity: "npm user alice"},
		{name: "revoked", reply: answer{status: 401, body: `{"error":"You must be logged in"}`}, want: leak.Dead},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newNPM, testFinding("npm-access-token", tok), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/-/whoami" || r.Header.Get("Authorization") != "Bearer "+tok {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
	})
}
