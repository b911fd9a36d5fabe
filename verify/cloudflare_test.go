package verify

import (
	"crypto/rand"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// cloudflareFakeToken builds a random 40-char API token.
func cloudflareFakeToken() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	var b strings.Builder
	for range 40 {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		b.WriteByte(chars[n.Int64()])
	}
	return b.String()
}

func TestCloudflare(t *testing.T) {
	t.Parallel()
	tok := cloudflareFakeToken()
	const invalid = `{"success":false,"errors":[{"code":1000,"message":"Invalid API Token"}],"messages":[],"result":null}`
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"result":{"id":"f267e341f3dd4697bd3b9f71dd96247f","status":"active"},"success":true,"errors":[],"messages":[{"code":10000,"message":"This API Token is valid and active","type":null}]}`},
			want: leak.Live, identity: "Cloudflare API token f267e341f3dd4697bd3b9f71dd96247f (active)"},
		{name: "live expiring", reply: answer{body: `{"result":{"id":"ab12","status":"active","not_before":"2024-01-01T00:00:00Z","expires_on":"2030-01-01T00:00:00Z"},"success":true,"errors":[],"messages":[]}`},
			want: leak.Live, identity: "expires 2030-01-01T00:00:00Z"},
		{name: "disabled", reply: answer{body: `{"result":{"id":"ab12","status":"disabled"},"success":true,"errors":[],"messages":[]}`}, want: leak.Dead, reason: "disabled"},
		{name: "expired", reply: answer{body: `{"result":{"id":"ab12","status":"expired"},"success":true,"errors":[],"messages":[]}`}, want: leak.Dead, reason: "expired"},
		{name: "odd status", reply: answer{body: `{"result":{"id":"ab12","status":"pending"},"success":true,"errors":[],"messages":[]}`}, want: leak.Unknown, reason: "pending"},
		{name: "invalid 401", reply: answer{status: 401, body: invalid}, want: leak.Dead, reason: "1000"},
		{name: "invalid 400", reply: answer{status: 400, body: invalid}, want: leak.Dead, reason: "1000"},
		{name: "401 other code", reply: answer{status: 401, body: `{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}`}, want: leak.Dead},
		{name: "400 other code", reply: answer{status: 400, body: `{"success":false,"errors":[{"code":6003,"message":"Invalid request headers"}],"messages":[],"result":null}`}, want: leak.Unknown, reason: "400"},
		{name: "403 waf page", reply: answer{status: 403, body: `<html>Attention Required!</html>`}, want: leak.Unknown, reason: "403"},
		{name: "200 success false", reply: answer{body: invalid}, want: leak.Unknown},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newCloudflare, testFinding("cloudflare-api-token", tok), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/client/v4/user/tokens/verify" || r.Header.Get("Authorization") != "Bearer "+tok {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
	})
}
