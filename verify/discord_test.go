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

func discordRandom(chars string, n int) string {
	var b strings.Builder
	for range n {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		b.WriteByte(chars[k.Int64()])
	}
	return b.String()
}

const discordB64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// discordFakeBotToken builds a random token of the bot-token shape.
func discordFakeBotToken() string {
	return "M" + discordRandom(discordB64URL, 25) + "." + discordRandom(discordB64URL, 6) + "." + discordRandom(discordB64URL, 38)
}

func TestDiscordBot(t *testing.T) {
	t.Parallel()
	tok := discordFakeBotToken()
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"id":"1187346612234567890","username":"deploy-bot","avatar":null,"discriminator":"0","public_flags":0,"flags":0,"bot":true,"banner":null,"accent_color":null,"global_name":null,"mfa_enabled":true,"locale":"en-US","premium_type":0,"email":null,"verified":true}`},
			want: leak.Live, identity: "Discord bot deploy-bot (1187346612234567890)"},
		{name: "revoked", reply: answer{status: 401, body: `{"message": "401: Unauthorized", "code": 0}`}, want: leak.Dead},
		{name: "forbidden is not dead", reply: answer{status: 403, body: `{"message": "Missing Access", "code": 50001}`}, want: leak.Unknown, reason: "403"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newDiscord, testFinding("discord-bot-token", tok), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v10/users/@me" || r.Header.Get("Authorization") != "Bot "+tok {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
	})
}

func TestDiscordWebhook(t *testing.T) {
	t.Parallel()
	id := "1" + discordRandom("0123456789", 18)
	token := discordRandom(discordB64URL, 68)
	hook := "https://discord.com/api/webhooks/" + id + "/" + token
	live := fmt.Sprintf(`{"application_id":null,"avatar":null,"channel_id":"1098765432109876543","guild_id":"1012345678901234567","id":%q,"name":"Deploys","type":1,"token":%q}`, id, token)
	cases := append([]providerCase{
		{name: "live", reply: answer{body: live}, want: leak.Live, identity: "Discord webhook Deploys (channel 1098765432109876543, guild 1012345678901234567)"},
		{name: "wrong token", reply: answer{status: 401, body: `{"message": "Invalid Webhook Token", "code": 50027}`}, want: leak.Dead},
		{name: "deleted", reply: answer{status: 404, body: `{"message": "Unknown Webhook", "code": 10015}`}, want: leak.Dead},
		{name: "404 not discord", reply: answer{status: 404, body: `404 page not found`}, want: leak.Unknown, reason: "404"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newDiscord, testFinding("discord-webhook-url", hook), nil, cases, func(t *testing.T, r *http.Request, body string) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v10/webhooks/"+id+"/"+token || body != "" || r.Header.Get("Authorization") != "" {
			t.Errorf("request %s %s body %q", r.Method, r.URL.Path, body)
		}
	})
}

func TestDiscordWebhookParts(t *testing.T) {
	t.Parallel()
	token := discordRandom(discordB64URL, 64)
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://discord.com/api/webhooks/123456789012345678/" + token, true},
		{"https://discordapp.com/api/webhooks/123456789012345678/" + token, true},
		{"https://ptb.discord.com/api/v10/webhooks/123456789012345678/" + token, true},
		{"https://CANARY.discord.com/api/v9/webhooks/123456789012345678/" + token + "/", true},
		{"https://evil.example/api/webhooks/123456789012345678/" + token, false},
		{"https://discord.com.evil.example/api/webhooks/123456789012345678/" + token, false},
		{"https://discord.com:8443/api/webhooks/123456789012345678/" + token, false},
		{"https://discord.com/api/webhooks/123456789012345678/" + token + "/../../x", false},
		{"https://discord.com/api/webhooks/12345/" + token, false},
		{"ftp://discord.com/api/webhooks/123456789012345678/" + token, false},
	} {
		if _, _, ok := discordWebhookParts(tc.url); ok != tc.ok {
			t.Errorf("%s: ok %v, want %v", tc.url, ok, tc.ok)
		}
	}
}

// A webhook URL on another host is never sent anywhere.
func TestDiscordWebhookForeignHost(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, func(*http.Request) answer { return answer{status: 500} })
	v := newDiscord((&Options{}).withFake(fake.URL))
	res := v.Verify(t.Context(), Credential{Rule: "discord-webhook-url",
		Secret: leak.NewSecret("https://evil.example/api/webhooks/123456789012345678/" + discordRandom(discordB64URL, 64))})
	if res.Status != leak.Unknown || len(fake.requests) != 0 {
		t.Errorf("result %+v, %d requests", res, len(fake.requests))
	}
}
