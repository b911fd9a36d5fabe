// Package settings reads the stage settings of .leakgate.toml: the
// [verify] table (provider endpoints, timeouts, private hosts) and the
// [remediate] table, which it hands undecoded to package remediate. The
// rules of the same file are read by package rules; settings ignores them.
package settings

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/BurntSushi/toml"
)

// Settings are the stage settings of one config file. The zero value is
// "no config file": every setting at its default.
type Settings struct {
	// File is the config file read, "" for none.
	File string
	// Verify is the [verify] table.
	Verify Verify

	remediate toml.Primitive
	md        toml.MetaData
}

// Verify is the [verify] table.
type Verify struct {
	// Endpoints maps a provider name ("github", "gitlab", "vault", "aws-sts",
	// ...) to the base URL its verifier calls instead of the provider's
	// public API: for self-hosted instances.
	Endpoints map[string]string `toml:"endpoints"`
	// Timeout bounds each provider call (default 5s).
	Timeout Duration `toml:"timeout"`
	// PrivateHosts allows database URLs that point at private or loopback
	// addresses to be verified.
	PrivateHosts bool `toml:"private-hosts"`
	// Disable names providers that are never called.
	Disable []string `toml:"disable"`
}

// Duration is a time.Duration written as a string ("5s", "1m30s").
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", b)
	}
	d.Duration = v
	return nil
}

// file is the part of .leakgate.toml this package reads.
type file struct {
	Verify    Verify         `toml:"verify"`
	Remediate toml.Primitive `toml:"remediate"`
}

// Load reads the settings of a config file. A missing file is an error;
// callers that look for an optional file check first.
func Load(name string) (*Settings, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(name, data)
}

// Parse reads the settings of a config file's contents. Unknown keys in
// the [verify] table are errors; other tables belong to other packages.
func Parse(name string, data []byte) (*Settings, error) {
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d:%d: %s", name, pe.Position.Line, pe.Position.Col, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, k := range md.Undecoded() {
		if k[0] == "verify" {
			return nil, fmt.Errorf("%s: unknown key %q", name, k.String())
		}
	}
	return &Settings{File: name, Verify: f.Verify, remediate: f.Remediate, md: md}, nil
}

// DecodeRemediate decodes the [remediate] table into v, a pointer to a
// struct with toml tags. Keys v does not have are errors. Without a
// [remediate] table v is left alone.
func (s *Settings) DecodeRemediate(v any) error {
	if s == nil || !s.md.IsDefined("remediate") {
		return nil
	}
	if err := s.md.PrimitiveDecode(s.remediate, v); err != nil {
		return fmt.Errorf("%s: [remediate]: %w", s.File, err)
	}
	for _, k := range s.md.Undecoded() {
		if k[0] == "remediate" {
			return fmt.Errorf("%s: unknown key %q", s.File, k.String())
		}
	}
	return nil
}
