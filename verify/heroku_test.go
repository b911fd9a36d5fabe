package verify

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// herokuFakeKey builds a random HRKU-AA key (58 chars after the prefix).
func herokuFakeKey() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	var b strings.Builder
	b.WriteString("HRKU-AA")
	for range 58 {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		b.WriteByte(chars[n.Int64()])
	}
	return b.String()
}

// herokuFakeUUID builds a random legacy key.
func herokuFakeUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func TestHeroku(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ rule, key string }{{"heroku-api-key", herokuFakeKey()}, {"heroku-api-key-legacy", herokuFakeUUID()}} {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel()
			cases := append([]providerCase{
				{name: "live", reply: answer{body: `{"allow_tracking":true,"beta":false,"created_at":"2012-01-01T12:00:00Z","email":"username@example.com","federated":false,"id":"01234567-89ab-cdef-0123-456789abcdef","last_login":"2012-01-01T12:00:00Z","name":"Tina Edmonds","sms_number":null,"suspended_at":null,"delinquent_at":null,"two_factor_authentication":false,"updated_at":"2012-01-01T12:00:00Z","verified":false}`},
					want: leak.Live, identity: "Heroku account username@example.com"},
				{name: "revoked", reply: answer{status: 401, body: `{"id":"unauthorized","message":"Invalid credentials provided."}`}, want: leak.Dead},
				{name: "forbidden is not dead", reply: answer{status: 403, body: `{"id":"forbidden","message":"You do not have access."}`}, want: leak.Unknown, reason: "403"},
				{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
				{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
			}, standardFaults...)
			runProviderCases(t, newHeroku, testFinding(tc.rule, tc.key), nil, cases, func(t *testing.T, r *http.Request, _ string) {
				if r.Method != http.MethodGet || r.URL.Path != "/account" || r.Header.Get("Authorization") != "Bearer "+tc.key ||
					r.Header.Get("Accept") != "application/vnd.heroku+json; version=3" {
					t.Errorf("request %s %s auth %q accept %q", r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Accept"))
				}
			})
		})
	}
}
