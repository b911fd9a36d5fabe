package source

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRefUpdates(t *testing.T) {
	t.Parallel()
	zero := strings.Repeat("0", 40)
	a, b := strings.Repeat("a", 40), strings.Repeat("B", 40)
	sha256 := strings.Repeat("c", 64)
	in := zero + " " + a + " refs/heads/new\n" +
		a + " " + b + " refs/heads/main\r\n" +
		"\n" +
		b + " " + zero + " refs/tags/v1\n" +
		strings.Repeat("0", 64) + " " + sha256 + " refs/heads/with space\n"
	got, err := ParseRefUpdates(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []RefUpdate{
		{Old: zero, New: a, Ref: "refs/heads/new"},
		{Old: a, New: strings.ToLower(b), Ref: "refs/heads/main"},
		{Old: strings.ToLower(b), New: zero, Ref: "refs/tags/v1"},
		{Old: strings.Repeat("0", 64), New: sha256, Ref: "refs/heads/with space"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseRefUpdates (-want +got):\n%s", diff)
	}
	if !got[0].Created() || got[0].Deleted() || !got[2].Deleted() || got[1].Created() {
		t.Error("Created/Deleted wrong")
	}

	for _, bad := range []string{
		"garbage\n",
		a + " " + b + "\n",                   // no ref
		a + " " + b + " \n",                  // empty ref
		a + " --all refs/heads/x\n",          // not an id
		a[:39] + " " + b + " refs/heads/x\n", // short
		a + " " + sha256 + " refs/heads/x\n", // mixed lengths
	} {
		if _, err := ParseRefUpdates(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseRefUpdates(%q): no error", bad)
		}
	}
	if us, err := ParseRefUpdates(strings.NewReader("")); err != nil || us != nil {
		t.Errorf("empty input: %v, %v", us, err)
	}
}
