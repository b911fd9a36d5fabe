package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leakgate/leakgate/leak"
)

// ANSI styles of the text format, used only with Options.Color.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiLive   = "\x1b[1;31m"
	ansiRule   = "\x1b[36m"
	ansiSecret = "\x1b[33m"
	ansiFail   = "\x1b[1;31m"
	ansiWarn   = "\x1b[1;33m"
	ansiPass   = "\x1b[1;32m"
)

// textWriter accumulates the text report; the first write error sticks.
type textWriter struct {
	w     io.Writer
	color bool
	err   error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// style wraps s in an ANSI style when colour is on.
func (t *textWriter) style(code, s string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

// writeText writes the human report: each finding as
//
//	[LIVE] file:line:col  rule-id  secret
//	    description
//	    commit <hash>  Author <email>  <date>
//	    status: <status> (<reason>)  identity: <identity>
//
// with the marker and the last two lines only when they apply, live
// findings first, a blank line between findings, then one summary line and
// one line per scan error. Control characters in any field are shown
// quoted, so that a file name cannot drive the terminal.
func writeText(w io.Writer, r *Report, opt Options) error {
	t := &textWriter{w: w, color: opt.Color}
	live := 0
	for i := range r.Findings {
		if statusOf(&r.Findings[i]) == leak.Live {
			live++
		}
	}
	order := make([]*leak.Finding, 0, len(r.Findings))
	for i := range r.Findings {
		if statusOf(&r.Findings[i]) == leak.Live {
			order = append(order, &r.Findings[i])
		}
	}
	for i := range r.Findings {
		if statusOf(&r.Findings[i]) != leak.Live {
			order = append(order, &r.Findings[i])
		}
	}
	for i, f := range order {
		if i > 0 {
			t.printf("\n")
		}
		writeTextFinding(t, r, f, opt)
	}
	if len(order) > 0 {
		t.printf("\n")
	}
	writeTextSummary(t, r, live)
	return t.err
}

func writeTextFinding(t *textWriter, r *Report, f *leak.Finding, opt Options) {
	status := statusOf(f)
	marker := ""
	if status == leak.Live {
		marker = t.style(ansiLive, "[LIVE]") + " "
	}
	t.printf("%s%s  %s  %s\n", marker,
		t.style(ansiBold, position(f)),
		t.style(ansiRule, printable(f.RuleID)),
		t.style(ansiSecret, printable(secretText(r, f, opt))))
	if f.Description != "" {
		t.printf("    %s\n", printable(f.Description))
	}
	if o := &f.Origin; o.Commit != "" || o.Author != "" || o.Email != "" || !o.Time.IsZero() {
		var parts []string
		if o.Commit != "" {
			parts = append(parts, "commit "+printable(o.Commit))
		}
		switch {
		case o.Author != "" && o.Email != "":
			parts = append(parts, printable(o.Author)+" <"+printable(o.Email)+">")
		case o.Author != "":
			parts = append(parts, printable(o.Author))
		case o.Email != "":
			parts = append(parts, "<"+printable(o.Email)+">")
		}
		if d := dateText(o.Time); d != "" {
			parts = append(parts, d)
		}
		t.printf("    %s\n", strings.Join(parts, "  "))
	}
	if status != leak.Unchecked || f.Identity != "" {
		line := "status: " + printable(string(status))
		if f.StatusReason != "" {
			line += " (" + printable(f.StatusReason) + ")"
		}
		if f.Identity != "" {
			line += "  identity: " + printable(f.Identity)
		}
		t.printf("    %s\n", line)
	}
}

// position is "file:line:col", leaving out what is unknown.
func position(f *leak.Finding) string {
	p := printable(f.Origin.Path)
	if p == "" {
		p = "-"
	}
	if f.Origin.Line > 0 {
		p += ":" + strconv.Itoa(f.Origin.Line)
		if f.Origin.Column > 0 {
			p += ":" + strconv.Itoa(f.Origin.Column)
		}
	}
	return p
}

// writeTextSummary writes
//
//	N findings (L live) in F files (B bytes) [and K known from the cache] in 1.5s; skipped ...; scan incomplete: E errors
//	  error: ...
func writeTextSummary(t *textWriter, r *Report, live int) {
	s := &r.Summary
	n := len(r.Findings)
	var head string
	switch n {
	case 0:
		head = "no findings"
	case 1:
		head = "1 finding"
	default:
		head = fmt.Sprintf("%d findings", n)
	}
	switch {
	case n > 0:
		head = t.style(ansiFail, head)
	case s.Complete && !s.Canceled:
		head = t.style(ansiPass, head)
	}
	line := head
	if live > 0 {
		line += " (" + t.style(ansiLive, fmt.Sprintf("%d live", live)) + ")"
	}
	line += fmt.Sprintf(" in %s (%s)", plural(s.Files, "file", "files"), plural(s.Bytes, "byte", "bytes"))
	if s.Cached > 0 {
		line += fmt.Sprintf(" and %d known from the cache", s.Cached)
	}
	if s.Duration > 0 {
		line += " in " + durationText(s.Duration)
	}
	var skipped []string
	for _, k := range []struct {
		n    int64
		what string
	}{{s.SkippedBinary, "binary"}, {s.SkippedLarge, "too large"}, {s.SkippedSymlinks, "symlinks"}} {
		if k.n > 0 {
			skipped = append(skipped, fmt.Sprintf("%d %s", k.n, k.what))
		}
	}
	if len(skipped) > 0 {
		line += "; skipped " + strings.Join(skipped, ", ")
	}
	if s.Canceled {
		line += "; " + t.style(ansiWarn, "scan canceled")
	}
	if !s.Complete {
		msg := "scan incomplete"
		if len(s.Errors) > 0 {
			msg += ": " + plural(int64(len(s.Errors)), "error", "errors")
		}
		line += "; " + t.style(ansiWarn, msg)
	} else if len(s.Errors) > 0 {
		line += "; " + plural(int64(len(s.Errors)), "error", "errors")
	}
	t.printf("%s\n", line)
	if v := s.Verification; v != nil {
		t.printf("verified: %d live, %d dead, %d unknown, %d unchecked (%s)\n",
			v.Live, v.Dead, v.Unknown, v.Unchecked, plural(int64(v.Calls), "provider call", "provider calls"))
	}
	for i, e := range s.Errors {
		if i == maxTextErrors && len(s.Errors) > maxTextErrors+1 {
			// One damaged delta base can take thousands of blobs with it.
			t.printf("  %s and %d more (-f json lists them all)\n", t.style(ansiWarn, "error:"), len(s.Errors)-i)
			break
		}
		t.printf("  %s %s\n", t.style(ansiWarn, "error:"), printable(e))
	}
}

// maxTextErrors is how many errors the text summary lists one by one.
const maxTextErrors = 50

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// durationText rounds d for people: milliseconds, or "<1ms".
func durationText(d time.Duration) string {
	if d < time.Millisecond {
		return "<1ms"
	}
	return d.Round(time.Millisecond).String()
}

// printable returns s unchanged when it is valid UTF-8 without control or
// other non-printing characters, and Go-quoted otherwise.
func printable(s string) string {
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
