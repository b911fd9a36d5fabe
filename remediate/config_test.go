package remediate

import (
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/leakgate/leakgate/settings"
)

// TestREADMEConfig decodes the [remediate] example of the README, so the
// documented shape stays the real one.
func TestREADMEConfig(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```toml\n(\\[remediate\\].*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("no [remediate] example in the README")
	}
	s, err := settings.Parse("README.md", m[1])
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	if err := s.DecodeRemediate(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout.Duration != 30*time.Second || cfg.Ticket.Repo != "acme/security-incidents" || len(cfg.Vault.Leases) != 1 ||
		cfg.Vault.Leases[0].Prefix != "database/creds/readonly/" || cfg.AWS.Profile != "incident-response" || len(cfg.Providers) != 2 {
		t.Errorf("decoded %+v", cfg)
	}
	if _, err := NewVault(&cfg); err != nil {
		t.Error(err)
	}
}
