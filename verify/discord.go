package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

func init() { register("discord", newDiscord) }

// discordVerifier checks Discord bot tokens and webhook URLs with read-only
// calls to the Discord API (v10; PROVIDERS.md has no section on Discord):
//
//   - bot token: GET <base>/api/v10/users/@me with Authorization: Bot
//     <token>. 200 with an id is live, the identity being the bot's
//     username and id; 401 is dead.
//   - webhook URL: GET <base>/api/v10/webhooks/<id>/<token>, which returns
//     the webhook object and posts nothing. 200 is live, the identity being
//     the webhook's name, channel and guild (the answer also echoes the
//     token, which is never shown); 401 (Discord code 50027 "Invalid
//     Webhook Token") and 404 with Discord code 10015 ("Unknown Webhook")
//     are dead. The Discord API requires the webhook token in the URL path;
//     Send's reasons never quote URLs. The finding's host is never
//     contacted as such: the URL must be on discord.com or discordapp.com
//     (or their ptb./canary. hosts), and only its id and token are sent, to
//     the configured base.
//
// Anything else is unknown. Discord OAuth2 client secrets need the client
// id and a token exchange, so discord-client-secret is not checked.
//
// UNCONFIRMED: that Discord answers 401 (not 403) for a revoked bot token
// and for a wrong webhook token; covered by fake-server tests.
type discordVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*discordVerifier)(nil)

func newDiscord(o *Options) Verifier {
	return &discordVerifier{client: o.HTTPClient(), base: o.Endpoint("discord", "https://discord.com")}
}

func (*discordVerifier) Provider() string { return "discord" }
func (*discordVerifier) Rules() []string  { return []string{"discord-bot-token", "discord-webhook-url"} }

func (v *discordVerifier) Verify(ctx context.Context, c Credential) Result {
	if c.Rule == "discord-webhook-url" {
		return v.webhook(ctx, c.Secret.Reveal())
	}
	return v.bot(ctx, c.Secret.Reveal())
}

func (v *discordVerifier) bot(ctx context.Context, token string) Result {
	resp, fail := Get(ctx, v.client, v.base+"/api/v10/users/@me", "Authorization", "Bot "+token)
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var u struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		}
		if err := json.Unmarshal(resp.Body, &u); err != nil || u.ID == "" {
			return Unknown("Discord answered 200 without a user id")
		}
		return Live(fmt.Sprintf("Discord bot %s (%s)", u.Username, u.ID))
	case http.StatusUnauthorized:
		return Dead("Discord rejected the bot token (HTTP 401)")
	}
	return Unexpected(resp)
}

// discordWebhookHosts are the hosts a webhook URL may name.
var discordWebhookHosts = map[string]bool{
	"discord.com": true, "ptb.discord.com": true, "canary.discord.com": true,
	"discordapp.com": true, "ptb.discordapp.com": true, "canary.discordapp.com": true,
}

var discordWebhookPath = regexp.MustCompile(`^/api(?:/v\d{1,2})?/webhooks/([0-9]{17,20})/([A-Za-z0-9_-]{60,68})/?$`)

// discordWebhookParts returns the id and token of a Discord webhook URL,
// or ok false when it is not one.
func discordWebhookParts(raw string) (id, token string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !discordWebhookHosts[strings.ToLower(u.Hostname())] || u.Port() != "" {
		return "", "", false
	}
	m := discordWebhookPath.FindStringSubmatch(u.Path)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

func (v *discordVerifier) webhook(ctx context.Context, raw string) Result {
	id, token, ok := discordWebhookParts(raw)
	if !ok {
		return Unknown("not a Discord webhook URL on a Discord host")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.base+"/api/v10/webhooks/"+id+"/"+token, nil)
	if err != nil {
		return Unknown("building the request failed")
	}
	resp, fail := Send(v.client, req)
	if fail != nil {
		return *fail
	}
	var body struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		ChannelID string `json:"channel_id"`
		GuildID   string `json:"guild_id"`
		Code      *int   `json:"code"`
	}
	jsonErr := json.Unmarshal(resp.Body, &body)
	switch resp.Status {
	case http.StatusOK:
		if jsonErr != nil || body.ID == "" {
			return Unknown("Discord answered 200 without a webhook id")
		}
		who := "Discord webhook " + body.Name
		if body.ChannelID != "" {
			who += " (channel " + body.ChannelID
			if body.GuildID != "" {
				who += ", guild " + body.GuildID
			}
			who += ")"
		}
		return Live(who)
	case http.StatusUnauthorized:
		return Dead("Discord rejected the webhook token (HTTP 401)")
	case http.StatusNotFound:
		if jsonErr == nil && body.Code != nil && *body.Code == 10015 {
			return Dead("Discord: unknown webhook (deleted)")
		}
	}
	return Unexpected(resp)
}
